"""How rule results and model probability become a score, an action and reasons."""

from __future__ import annotations

from fraud.decision import Thresholds, decide
from fraud.domain import Action, Reason, RuleResult, Versions

VERSIONS = Versions(rules="test+00000000", model="none (rules only)", service="test")
THRESHOLDS = Thresholds(review=40, decline=80, unavailable_points=15)


def hit(rule_id: str, effect: str = "points", points: float = 0.0) -> RuleResult:
    return RuleResult(rule_id, "hit", effect, points, f"{rule_id} fired", {"x": 1})


def test_points_add_up_to_the_score_and_thresholds_pick_the_action():
    low = decide("O1", [hit("a", points=10), hit("b", points=15)], THRESHOLDS, VERSIONS)
    mid = decide("O2", [hit("a", points=30), hit("b", points=15)], THRESHOLDS, VERSIONS)
    high = decide("O3", [hit("a", points=60), hit("b", points=30)], THRESHOLDS, VERSIONS)
    assert (low.score, low.action) == (25, Action.APPROVE)
    assert (mid.score, mid.action) == (45, Action.REVIEW)
    assert high.action == Action.DECLINE


def test_score_is_clamped_to_0_100():
    assert decide("O", [hit("a", points=500)], THRESHOLDS, VERSIONS).score == 100
    assert decide("O", [hit("a", points=-50)], THRESHOLDS, VERSIONS).score == 0


def test_rules_that_did_not_hit_do_not_count():
    miss = RuleResult("a", "no_hit", "points", 50)
    broken = RuleResult("b", "error", "decline", 0, error="TypeError")
    decision = decide("O", [miss, broken], THRESHOLDS, VERSIONS)
    assert decision.score == 0
    assert decision.action == Action.APPROVE
    assert decision.rule_hits == ()


def test_a_review_rule_forces_review_whatever_the_score():
    decision = decide("O", [hit("velocity", "review")], THRESHOLDS, VERSIONS)
    assert decision.action == Action.REVIEW


def test_decline_beats_review_and_allow():
    results = [hit("allow_list", "allow"), hit("deny_list", "decline"), hit("r", "review")]
    assert decide("O", results, THRESHOLDS, VERSIONS).action == Action.DECLINE


def test_allow_approves_despite_high_points():
    results = [hit("allow_list", "allow"), hit("far", points=90)]
    assert decide("O", results, THRESHOLDS, VERSIONS).action == Action.APPROVE


def test_model_probability_adds_points():
    without = decide("O", [hit("a", points=20)], THRESHOLDS, VERSIONS)
    with_model = decide("O", [hit("a", points=20)], THRESHOLDS, VERSIONS, model_probability=0.3)
    assert with_model.score > without.score
    assert with_model.model_probability == 0.3


def test_unavailable_signals_lean_to_review_and_are_named():
    decision = decide("O", [hit("a", points=30)], THRESHOLDS, VERSIONS, signals_unavailable=["geo"])
    assert decision.action == Action.REVIEW
    assert decision.signals_unavailable == ("geo",)
    assert any(r.code == "signal_unavailable" and r.value == "geo" for r in decision.reasons)


def test_reasons_are_ordered_by_weight_and_limited():
    results = [hit(f"r{i}", points=i) for i in range(1, 9)] + [hit("forced", "decline")]
    decision = decide("O", results, THRESHOLDS, VERSIONS, max_reasons=3)
    assert [r.code for r in decision.reasons] == ["forced", "r8", "r7"]


def test_model_reasons_merge_with_rule_reasons():
    model_reason = Reason("account_age_days", "Account created 3 minutes ago", 0.002, 25, "model")
    decision = decide(
        "O",
        [hit("a", points=10)],
        THRESHOLDS,
        VERSIONS,
        model_probability=0.25,
        model_reasons=[model_reason],
    )
    assert [r.code for r in decision.reasons] == ["account_age_days", "a"]

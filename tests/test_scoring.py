"""One pipeline: every tool that decides an order (live scoring, batch, backtest,
shadow rules, the demo loader) gets the same decision as ``score_order``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fraud.batch import BatchScorer, batch_context
from fraud.domain import Reason
from fraud.history import MemoryHistory
from fraud.replay import ShadowRunner, read_order_file, replay_orders, run_rules
from fraud.rules import load_rules, parse_rules
from fraud.scoring import assess, decide_on, judge, score_order, thresholds_from
from fraud.settings import Settings
from fraud.simulate import simulate

CANDIDATE = """
version: "cand.1"
rules:
  - id: big_order
    description: A large order.
    when: amount_eur >= 300
    effect: review
    points: 10
    message: Order of {amount_eur:,.0f} EUR.
"""


class ScoreByAmount:
    """A deterministic stand-in for a model: a probability from the amount, one reason."""

    version = "amount-model.1"

    def predict_one(self, features):  # noqa: ANN001, ANN201
        amount = features.get("amount_eur") or 0.0
        probability = min(0.9, float(amount) / 2000.0)
        return probability, [Reason("amount", "Large amount", amount, 100 * probability, "model")]


class BrokenModel:
    version = "broken.1"

    def predict_one(self, features):  # noqa: ANN001, ANN201
        raise RuntimeError("the model file is corrupt")


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(_env_file=None)


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> list:
    """A small simulated shop in time order: repeat customers, shared IPs, fraud rings."""
    folder: Path = tmp_path_factory.mktemp("shop")
    simulate(300, days=6, seed=11).write(folder / "orders.jsonl.gz")
    return sorted(read_order_file(folder / "orders.jsonl.gz"),
                  key=lambda o: (o.created_at, o.order_id))


@pytest.fixture(scope="module")
def live_rules():  # noqa: ANN201
    return load_rules()


def _reference(orders, settings, rules, model=None, *, model_unavailable=False):  # noqa: ANN001, ANN202
    """score_order over every order, each seeing the orders before it."""
    ctx = batch_context(settings, MemoryHistory.from_orders(orders, fx_rates=settings.fx_rates))
    return {
        o.order_id: score_order(o, ctx, rules, model, model_unavailable=model_unavailable)
        for o in orders
    }


@pytest.mark.parametrize("model", [None, ScoreByAmount(), BrokenModel()],
                         ids=["rules-only", "model", "broken-model"])
def test_backtest_decides_the_live_rules_exactly_as_score_order(
    orders, settings, live_rules, model  # noqa: ANN001
) -> None:
    expected = _reference(orders, settings, live_rules, model)
    replay = replay_orders(orders, settings=settings, model=model)
    thresholds = thresholds_from(settings)
    run = run_rules(live_rules, replay, thresholds, settings.max_reasons)
    for assessment in replay.orders["assessment"]:
        want = expected[assessment.order_id].decision
        got = judge(assessment, live_rules, thresholds, max_reasons=settings.max_reasons)
        assert got.decision == want
        assert run.decisions.at[assessment.order_id, "score"] == want.score
        assert run.decisions.at[assessment.order_id, "action"] == int(want.action)


def test_a_broken_model_is_reported_unavailable_by_every_path(orders, settings, live_rules) -> None:
    expected = _reference(orders[:20], settings, live_rules, BrokenModel())
    replay = replay_orders(orders[:20], settings=settings, model=BrokenModel())
    for decision in (s.decision for s in expected.values()):
        assert "model" in decision.signals_unavailable
    assert all("model" in u for u in replay.orders["signals_unavailable"])


def test_a_model_that_failed_to_load_leans_to_review_in_score_order(orders, settings,
                                                                    live_rules) -> None:
    ctx = batch_context(settings, MemoryHistory.from_orders(orders[:5]))
    without = score_order(orders[0], ctx, live_rules).decision
    unavailable = score_order(orders[0], ctx, live_rules, model_unavailable=True).decision
    assert "model" in unavailable.signals_unavailable
    assert unavailable.score == min(100, without.score + settings.unavailable_points)


def test_score_order_is_assess_then_decide_on(orders, settings, live_rules) -> None:
    ctx = batch_context(settings, MemoryHistory.from_orders(orders))
    model = ScoreByAmount()
    for order in orders[::10]:
        scored = score_order(order, ctx, live_rules, model)
        assessment = assess(order, ctx, model)
        assert scored.assessment == assessment
        assert scored.decision == decide_on(assessment, live_rules, thresholds_from(settings),
                                            max_reasons=settings.max_reasons)


def test_shadow_rules_decide_as_score_order_with_the_candidate_rules(orders, settings,
                                                                     live_rules) -> None:
    candidate = parse_rules(CANDIDATE)
    ctx = batch_context(settings, MemoryHistory.from_orders(orders))
    runner = ShadowRunner(candidate)
    model = ScoreByAmount()
    for order in orders[::5]:
        live = score_order(order, ctx, live_rules, model)
        assert runner.evaluate(order, ctx, live) == score_order(order, ctx, candidate,
                                                                model).decision


def test_batch_scoring_decides_as_score_order(orders, settings, live_rules) -> None:
    scorer = BatchScorer(settings, rules=live_rules)
    expected = _reference(orders, settings, live_rules, scorer.model,
                          model_unavailable=scorer.model_unavailable)
    for order in orders:
        assert scorer.score(order).decision == expected[order.order_id].decision

"""fraud.analysis: the functions the notebooks call, on small hand-made or simulated data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fraud.analysis import (
    add_truth,
    candidate_rules,
    cheapest,
    explain_orders,
    fraud_rates,
    notebook_settings,
    orders_frame,
    sample_files,
    score_live,
    service_scores,
    shadow_disagreements,
    shadow_summary,
    signal_separation,
    threshold_costs,
)
from fraud.domain import Outcome, Reason
from fraud.errors import FraudError
from fraud.model.evaluate import Costs
from fraud.rules import default_rules_path, load_rules

T0 = datetime(2025, 9, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - (runtime, files)
    from fraud.demo import load_sample
    from fraud.runtime import Runtime

    folder = tmp_path_factory.mktemp("analysis")
    files = sample_files(400, folder / "data", days=30, seed=3)
    runtime = Runtime.start(notebook_settings(folder / "store"))
    load_sample(runtime, files.orders, files.outcomes)
    yield runtime, files
    runtime.close()


def test_small_runs_simulate_into_the_given_folder_not_the_bundled_sample(tmp_path: Path) -> None:
    files = sample_files(50, tmp_path, days=10, seed=1)
    assert not files.bundled
    assert all(p.parent == tmp_path and p.exists() for p in (files.orders, files.outcomes,
                                                              files.truth))


def test_notebook_settings_keep_state_and_models_in_the_folder(tmp_path: Path) -> None:
    settings = notebook_settings(tmp_path / "w", review_threshold=30)
    assert settings.data_dir == tmp_path / "w"
    assert settings.model_dir == tmp_path / "w" / "models"
    assert settings.review_threshold == 30


def test_orders_frame_has_one_row_per_stored_order_with_its_decision_and_outcomes(
    small_store,  # noqa: ANN001
) -> None:
    runtime, files = small_store
    from fraud.simulate import read_outcomes

    with runtime.sessions() as session:
        frame = orders_frame(session)
    fraud_ids = {e["order_id"] for e in read_outcomes(files.outcomes)
                 if Outcome(e["outcome"]).is_fraud}
    assert len(frame) == 400 and frame.index.is_unique
    assert set(frame["action"]) <= {"approve", "review", "decline"}
    assert frame["score"].between(0, 100).all()
    assert set(frame.index[frame["is_fraud"]]) == fraud_ids
    assert frame.loc[frame["is_fraud"], "fraud_reported_at"].notna().all()
    assert {"ip_billing_distance_km", "payment_method", "billing_country"} <= set(frame.columns)
    assert frame["created_at"].is_monotonic_increasing


def test_orders_frame_reads_from_an_engine_and_honours_the_time_window(small_store) -> None:  # noqa: ANN001
    runtime, _ = small_store
    everything = orders_frame(runtime.engine)
    middle = everything["created_at"].iloc[200].to_pydatetime()
    later = orders_frame(runtime.engine, since=middle)
    assert len(later) == 200 and (later["created_at"] >= middle).all()


def test_rule_hits_in_the_frame_are_the_hit_rules_only(small_store) -> None:  # noqa: ANN001
    runtime, _ = small_store
    frame = orders_frame(runtime.engine)
    rules = set(load_rules(default_rules_path()).ids)
    hit = {r for hits in frame["rule_hits"] for r in hits}
    assert hit <= rules
    # no model here: an order without hits scores only the unavailable-signal points
    quiet = frame[frame["rule_hits"].map(len) == 0]
    expected = (15 * quiet["signals_unavailable"].map(len)).clip(upper=100)
    assert (quiet["score"] == expected).all()


def test_truth_adds_pattern_and_marks_unknown_orders() -> None:
    frame = pd.DataFrame({"is_fraud": [True, False, False]}, index=["a", "b", "c"])
    truth = pd.DataFrame({"order_id": ["a", "b"], "is_fraud": [True, False],
                          "pattern": ["stolen_card", "none"], "honest_quirk": ["none", "none"]})
    out = add_truth(frame, truth)
    assert out["pattern"].tolist() == ["stolen_card", "none", "unknown"]
    assert out["is_fraud_truth"].tolist() == [True, False, False]


def test_fraud_rates_count_orders_and_fraud_per_group_with_shares() -> None:
    frame = pd.DataFrame({"country": ["NL"] * 8 + ["BE"] * 2 + [None],
                          "is_fraud": [True, False, False, False, False, False, False, False,
                                       True, True, False]})
    rates = fraud_rates(frame, "country")
    assert rates.loc["NL", "orders"] == 8 and rates.loc["NL", "fraud"] == 1
    assert rates.loc["BE", "fraud_rate"] == 1.0
    assert rates.loc["(missing)", "orders"] == 1
    assert rates["share_of_orders"].sum() == pytest.approx(1.0)
    assert rates["share_of_fraud"].sum() == pytest.approx(1.0)
    assert rates.index[0] == "NL"  # most orders first
    assert "BE" not in fraud_rates(frame, "country", min_orders=3).index


def test_a_feature_that_splits_the_classes_separates_better_than_noise() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(600) < 0.1
    frame = pd.DataFrame({
        "is_fraud": y,
        "ip_billing_distance_km": np.where(y, 2000.0, 20.0) + rng.normal(0, 5, 600),
        "amount_eur": rng.normal(100, 20, 600),
        "payment_method": np.where(y, "card", rng.choice(["ideal", "card", "paypal"], 600)),
        "phone_present": [None if i % 3 == 0 else bool(v) for i, v in enumerate(~y)],
    })
    sep = signal_separation(frame, ["ip_billing_distance_km", "amount_eur", "payment_method",
                                    "phone_present"]).set_index("feature")
    assert sep.loc["ip_billing_distance_km", "auc"] > 0.99
    assert sep.loc["ip_billing_distance_km", "direction"] == "higher in fraud"
    assert sep.loc["amount_eur", "auc"] < 0.65
    assert sep.loc["payment_method", "fraud_value"] == "card"
    assert sep.loc["phone_present", "direction"] == "lower in fraud"
    assert sep.loc["phone_present", "coverage"] == pytest.approx(2 / 3, abs=0.01)
    assert sep.index[0] == "ip_billing_distance_km"  # sorted by separation


def test_service_scores_add_model_points_to_rule_points_and_clamp() -> None:
    assert service_scores([10, 90, 0], [0.25, 0.5, 0.0]).tolist() == [35.0, 100.0, 0.0]


COSTS = Costs(chargeback_fee_eur=25.0, margin_rate=0.3, review_cost_eur=2.0)


def test_threshold_costs_price_missed_fraud_reviews_and_declined_good_orders() -> None:
    y = np.array([1, 0, 0, 0])
    amount = np.array([100.0, 50.0, 50.0, 50.0])
    score = np.array([90.0, 60.0, 10.0, 10.0])
    table = threshold_costs(y, amount, score, COSTS, review_thresholds=[50],
                            decline_thresholds=[80, 101]).set_index("decline_threshold")
    # decline at 80: the fraud is declined (free), one good order reviewed
    assert table.loc[80, "cost_eur"] == pytest.approx(2.0)
    assert table.loc[80, "recall"] == 1.0
    # never decline: fraud and one good order reviewed
    assert table.loc[101, "cost_eur"] == pytest.approx(4.0)
    lax = threshold_costs(y, amount, score, COSTS, review_thresholds=[95],
                          decline_thresholds=[101])
    assert lax["cost_eur"].iloc[0] == pytest.approx(125.0)  # the fraud gets through
    assert lax["recall"].iloc[0] == 0.0


def test_review_threshold_above_decline_is_skipped() -> None:
    table = threshold_costs([0, 1], [1.0, 1.0], [0.0, 50.0], COSTS, review_thresholds=[40, 90],
                            decline_thresholds=[60])
    assert table["review_threshold"].tolist() == [40]


def test_cheapest_respects_the_review_capacity() -> None:
    table = pd.DataFrame({"review_rate": [0.10, 0.01, 0.02], "cost_eur": [1.0, 9.0, 5.0]})
    assert cheapest(table)["cost_eur"] == 1.0
    assert cheapest(table, max_review_rate=0.02)["cost_eur"] == 5.0
    with pytest.raises(ValueError, match="at most"):
        cheapest(table, max_review_rate=0.001)


class _FakeModel:
    version = "fake"

    def predict_one(self, features):  # noqa: ANN001, ANN201
        if features.get("x") is None:
            return 0.001, []
        return 0.9, [Reason("x", f"x is {features['x']}", features["x"], 40.0, "model")]


def test_explain_orders_lists_each_orders_reasons_and_says_when_there_are_none() -> None:
    features = pd.DataFrame({"x": [3.0, np.nan]}, index=["a", "b"])
    table = explain_orders(_FakeModel(), features, ["a", "b"])
    assert table.loc[table.order_id == "a", "message"].tolist() == ["x is 3.0"]
    assert table.loc[table.order_id == "b", "code"].isna().all()


NEW_RULE = """
- id: big_express_order
  description: Large express order.
  when: amount_eur > 2000 and shipping_express
  effect: points
  points: 15
  message: Express order of {amount_eur:,.0f} EUR.
"""


def test_candidate_rules_add_a_rule_with_a_new_version(tmp_path: Path) -> None:
    path = candidate_rules(default_rules_path(), NEW_RULE, "2099-01-01.1", tmp_path / "c.yaml")
    current, candidate = load_rules(default_rules_path()), load_rules(path)
    assert candidate.version.startswith("2099-01-01.1+")
    assert list(candidate.ids) == [*current.ids, "big_express_order"]


def test_candidate_rules_replace_a_rule_with_the_same_id(tmp_path: Path) -> None:
    tuned = NEW_RULE.replace("big_express_order", "disposable_email")
    path = candidate_rules(default_rules_path(), tuned, "2099-01-01.2", tmp_path / "c.yaml")
    candidate = load_rules(path)
    assert len(candidate.ids) == len(load_rules(default_rules_path()).ids)
    assert candidate.rule("disposable_email").points == 15


def test_candidate_rules_refuse_an_unknown_feature_naming_it(tmp_path: Path) -> None:
    broken = NEW_RULE.replace("amount_eur > 2000", "amount_euro > 2000")
    with pytest.raises(FraudError, match="amount_euro"):
        candidate_rules(default_rules_path(), broken, "2099-01-01.3", tmp_path / "c.yaml")


def test_live_orders_are_stored_shadowed_and_summarised(tmp_path: Path) -> None:
    from factories import make_order

    from fraud.runtime import Runtime
    from fraud.store.shadow import shadow_report

    candidate = candidate_rules(default_rules_path(), NEW_RULE.replace("amount_eur > 2000",
                                                                       "amount_eur > 0"),
                                "2099-01-01.4", tmp_path / "c.yaml")
    runtime = Runtime.start(notebook_settings(tmp_path / "s", shadow_rules_path=candidate))
    try:
        orders = [make_order(order_id=f"L-{i}", created_at=(T0 + timedelta(minutes=i)).isoformat(),
                             shipping_method="express") for i in range(3)]
        events = [{"order_id": "L-1", "outcome": "chargeback", "at": (T0 + timedelta(days=40))
                   .isoformat()}]
        assert score_live(runtime, orders, events) == 3
        assert score_live(runtime, orders, events) == 0  # already stored: nothing twice
        with runtime.sessions() as session:
            report = shadow_report(session)
    finally:
        runtime.close()
    summary = shadow_summary(report)
    assert summary["orders"].tolist() == [3]
    assert summary["known_fraud"].tolist() == [1]
    disagreements = shadow_disagreements(report)
    assert list(disagreements.columns) == ["order_id", "live_action", "shadow_action",
                                           "live_score", "shadow_score", "known_fraud"]

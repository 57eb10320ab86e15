"""Evaluation figures in the shop's terms, and the report files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fraud.model.evaluate import (
    Costs,
    ScoreSet,
    at_review_rate,
    compare_on_dataset,
    evaluate_scores,
    expected_cost,
    review_weights,
)
from fraud.model.report import summary_text, write_report
from fraud.settings import Settings

COSTS = Costs(chargeback_fee_eur=25.0, margin_rate=0.3, review_cost_eur=2.0)


def test_review_rate_flags_exactly_that_share_sharing_ties_fractionally() -> None:
    scores = np.array([9, 5, 5, 5, 5, 1, 1, 1, 1, 1], dtype=float)
    weights, threshold = review_weights(scores, 0.3)
    assert weights.sum() == pytest.approx(3)
    assert threshold == 5
    assert weights[0] == 1 and weights[1] == pytest.approx(0.5) and weights[-1] == 0


def test_recall_and_precision_at_a_review_rate() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    scores = np.linspace(1, 0, 10)
    figures = at_review_rate(y, scores, 0.2)
    assert figures["recall"] == pytest.approx(0.5)
    assert figures["precision"] == pytest.approx(0.5)


def test_cost_counts_missed_fraud_reviews_and_margin_of_declined_good_orders() -> None:
    y = np.array([1, 1, 0, 0])
    amount = np.array([100.0, 200.0, 50.0, 80.0])
    review = np.array([1.0, 0, 1, 0])
    decline = np.array([0, 0, 0, 1.0])
    cost = expected_cost(y, amount, review, decline, COSTS)
    assert cost["missed_fraud_eur"] == pytest.approx(200 + 25)
    assert cost["review_eur"] == pytest.approx(2 * 2.0)
    assert cost["lost_margin_eur"] == pytest.approx(0.3 * 80)
    assert cost["no_screening_eur"] == pytest.approx(300 + 2 * 25)
    assert cost["saved_eur"] == pytest.approx(cost["no_screening_eur"] - cost["cost_eur"])


def test_costs_come_from_the_settings() -> None:
    costs = Costs.from_settings(Settings(review_minutes=6, reviewer_cost_per_hour_eur=40))
    assert costs.review_cost_eur == pytest.approx(4.0)


def test_a_perfect_score_beats_a_random_one_on_every_headline_figure() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(2000) < 0.02).astype(int)
    amount = rng.uniform(20, 500, 2000)
    sets = [ScoreSet("perfect", y + rng.random(2000) * 0.1, probability=False),
            ScoreSet("random", rng.random(2000), probability=True)]
    m = evaluate_scores(y, amount, sets, Settings()).metrics["scorers"]
    assert m["perfect"]["roc_auc"] > m["random"]["roc_auc"]
    assert m["perfect"]["pr_auc"] > m["random"]["pr_auc"]
    staffed = m["perfect"]["at_staffed_rate"]
    assert staffed == "0.02"
    for rate in ("0.01", "0.02", "0.05"):
        assert (m["perfect"]["at_review_rate"][rate]["recall"]
                >= m["random"]["at_review_rate"][rate]["recall"])
    assert (m["perfect"]["at_review_rate"][staffed]["cost"]["cost_eur"]
            < m["random"]["at_review_rate"][staffed]["cost"]["cost_eur"])


@pytest.fixture(scope="module")
def comparison(dataset, fitted, sim_files):  # noqa: ANN001, ANN201
    from fraud.simulate import read_truth

    model, train, valid = fitted
    return compare_on_dataset(dataset, model, train, valid, Settings(),
                              truth=read_truth(sim_files["truth"]))


def test_comparison_has_model_rules_and_logistic_baseline_on_the_same_orders(
    comparison, dataset, fitted  # noqa: ANN001
) -> None:
    _, _, valid = fitted
    assert set(comparison.metrics["scorers"]) == {"model", "rules", "logistic"}
    assert comparison.metrics["orders"] == int((valid & dataset.labelled).sum())
    assert all(len(s.scores) == len(comparison.y) for s in comparison.score_sets)
    assert comparison.score_set("rules").scores.tolist() == (
        dataset.rules_score[valid & dataset.labelled].tolist())


def test_per_pattern_recall_covers_every_pattern_in_the_evaluated_orders(
    comparison,  # noqa: ANN001
) -> None:
    patterns = comparison.metrics["patterns"]["model"]
    assert set(patterns) == set(comparison.patterns.tolist())
    assert sum(p["orders"] for p in patterns.values()) == comparison.metrics["orders"]
    assert all(0 <= p["recall@0.02"] <= 1 for p in patterns.values())


def test_report_writes_json_html_and_four_charts(comparison, tmp_path) -> None:  # noqa: ANN001
    files = write_report(comparison, tmp_path, COSTS, title="<b>t</b>",
                         context={"model": "<script>x</script>"})
    for name in ("metrics", "roc", "pr", "calibration", "cost", "html"):
        assert files[name].exists() and files[name].stat().st_size > 0
    assert (tmp_path / "roc.png").read_bytes()[:4] == b"\x89PNG"
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["context"]["model"] == "<script>x</script>"
    page = (tmp_path / "report.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>t</b>" not in page


def test_summary_text_lists_every_scorer_and_pattern(comparison) -> None:  # noqa: ANN001
    text = summary_text(comparison.metrics)
    for name in ("model", "rules", "logistic", "stolen_card"):
        assert name in text
    assert "warning" not in text  # the comparison holds fraud


def test_summary_text_warns_when_no_fraud_was_there_to_measure(comparison) -> None:  # noqa: ANN001
    metrics = {**comparison.metrics, "fraud": 0}
    text = summary_text(metrics)
    assert "warning: no fraud among these orders" in text

"""Model evaluation as tables: scorers compared, recall per fraud pattern, thresholds
chosen by cost, and the model's reasons for a few orders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:

    from fraud.model.evaluate import Costs, Evaluation
    from fraud.model.scorer import ModelScorer

def comparison_table(evaluation: Evaluation) -> pd.DataFrame:
    """One row per scorer (model, rules, logistic): ROC-AUC, PR-AUC, recall and
    precision at each review rate, cost at the staffed rate and at the thresholds."""
    rows = []
    for name, m in evaluation.metrics["scorers"].items():
        row: dict[str, Any] = {"scorer": name, "roc_auc": m["roc_auc"], "pr_auc": m["pr_auc"]}
        for rate, figures in m["at_review_rate"].items():
            row[f"recall@{float(rate):.0%}"] = figures["recall"]
        for rate, figures in m["at_review_rate"].items():
            row[f"precision@{float(rate):.0%}"] = figures["precision"]
        staffed = m["at_review_rate"][m["at_staffed_rate"]]
        row["cost_at_staffed_rate_eur"] = staffed["cost"]["cost_eur"]
        row["cost_at_thresholds_eur"] = m["at_service_thresholds"]["cost_eur"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("scorer")


def pattern_table(evaluation: Evaluation, rate: float | None = None) -> pd.DataFrame:
    """Per ground-truth pattern (rows) and scorer (columns): the share flagged when the
    top ``rate`` of orders is reviewed (default: the staffed rate). Needs the
    evaluation to have been made with ``truth``; empty otherwise."""
    patterns = evaluation.metrics.get("patterns")
    if not patterns:
        return pd.DataFrame()
    first = next(iter(evaluation.metrics["scorers"].values()))
    key = f"{rate:g}" if rate is not None else first["at_staffed_rate"]
    table = {name: {p: row[f"recall@{key}"] for p, row in per.items()}
             for name, per in patterns.items()}
    counts = {p: row["orders"] for p, row in next(iter(patterns.values())).items()}
    out = pd.DataFrame(table)
    out.insert(0, "orders", pd.Series(counts))
    out.index.name = "pattern"
    return out


def service_scores(rules_score: Any, probability: Any) -> np.ndarray:
    """The service's 0-100 score with a model: rule points (with unavailable-signal
    points) plus 100 x probability, clamped, as :func:`fraud.decision.decide` adds them.
    Rules that force an action are not in a score, so this leaves them out."""
    return np.clip(np.asarray(rules_score, dtype=float) + 100.0 * np.asarray(probability,
                                                                             dtype=float), 0, 100)


def threshold_costs(
    y: Any,
    amount: Any,
    score: Any,
    costs: Costs,
    *,
    review_thresholds: Iterable[float] = range(10, 100, 5),
    decline_thresholds: Iterable[float] = (*range(50, 101, 10), 101),
) -> pd.DataFrame:
    """Expected cost of every (review, decline) threshold pair on a 0-100 ``score``.

    A score at or above the decline threshold declines (a good order loses its
    margin), at or above the review threshold holds for review (reviewer time;
    the reviewer stops the fraud), else approves (a fraud costs its amount plus
    the chargeback fee); see :func:`fraud.model.evaluate.expected_cost`.
    ``decline_threshold`` 101 means never decline. Pairs with review above
    decline are skipped. Columns: thresholds, review and decline rates, recall
    (share of fraud not approved), and the cost and its parts in euros.
    """
    from fraud.model.evaluate import expected_cost

    y = np.asarray(y, dtype=int)
    amount = np.asarray(amount, dtype=float)
    score = np.asarray(score, dtype=float)
    rows = []
    for decline_at in decline_thresholds:
        decline = (score >= decline_at).astype(float)
        for review_at in review_thresholds:
            if review_at > decline_at:
                continue
            review = ((score >= review_at) & (decline == 0)).astype(float)
            cost = expected_cost(y, amount, review, decline, costs)
            flagged = (review + decline) > 0
            rows.append({
                "review_threshold": review_at,
                "decline_threshold": decline_at,
                "review_rate": float(review.mean()),
                "decline_rate": float(decline.mean()),
                "recall": float(flagged[y == 1].mean()) if y.any() else float("nan"),
                "cost_eur": cost["cost_eur"],
                "missed_fraud_eur": cost["missed_fraud_eur"],
                "review_eur": cost["review_eur"],
                "lost_margin_eur": cost["lost_margin_eur"],
            })
    return pd.DataFrame(rows)


def cheapest(table: pd.DataFrame, *, max_review_rate: float | None = None) -> pd.Series:
    """The row of :func:`threshold_costs` with the lowest cost, among those whose
    review rate the shop can staff (``max_review_rate``; ``None``: any)."""
    allowed = table if max_review_rate is None else table[table["review_rate"] <= max_review_rate]
    if allowed.empty:
        raise ValueError(f"no threshold pair reviews at most {max_review_rate:.1%} of orders")
    return allowed.loc[allowed["cost_eur"].idxmin()]


def explain_orders(
    model: ModelScorer, features: pd.DataFrame, order_ids: Iterable[str]
) -> pd.DataFrame:
    """The model's probability and reasons (plain words, points) for a few orders, as
    the service would list them: one row per (order, reason)."""
    rows = []
    for order_id in order_ids:
        values = {k: (None if _missing(v) else v) for k, v in features.loc[order_id].items()}
        probability, reasons = model.predict_one(values)
        if not reasons:
            rows.append({"order_id": order_id, "probability": probability, "code": None,
                         "message": "(the model adds too few points to list a reason)",
                         "points": None})
        for r in reasons:
            rows.append({"order_id": order_id, "probability": probability, "code": r.code,
                         "message": r.message, "points": r.points})
    return pd.DataFrame(rows, columns=["order_id", "probability", "code", "message", "points"])


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))

"""How good is a fraud score, in the shop's terms.

Every figure is computed on orders the model never saw (a later time slice):
ROC-AUC and PR-AUC; recall and precision when the shop reviews the top 1 %, 2 %
or 5 % of orders; the expected cost in euros (missed fraud, reviewer time,
margin lost on declined good orders) at those review rates and at the service's
configured thresholds; and, with the simulator's ground truth, each fraud
pattern's recall. The same figures are computed for the rules alone (the
service's own pipeline with no model) and for a logistic-regression baseline.

Ties: a score that many orders share (rules give few distinct scores) is
flagged *fractionally* at the boundary, so "the top 2 %" always means exactly
2 % of orders, and recall is the expectation under a random tie-break.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fraud.settings import Settings

if TYPE_CHECKING:
    from fraud.model.dataset import Dataset

REVIEW_RATES = (0.01, 0.02, 0.05)
COST_CURVE_RATES = tuple(np.round(np.linspace(0.0, 0.20, 81), 4).tolist())


@dataclass(frozen=True)
class Costs:
    """Euros per event, from the settings."""

    chargeback_fee_eur: float
    margin_rate: float
    review_cost_eur: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Costs:
        hourly = float(settings.reviewer_cost_per_hour_eur)
        per_review = float(settings.review_minutes) / 60 * hourly
        return cls(float(settings.chargeback_fee_eur), float(settings.margin_rate), per_review)


@dataclass(frozen=True)
class ScoreSet:
    """One scorer's scores on the evaluation orders (higher = more likely fraud).

    ``probability``: scores are fraud probabilities (0-1); the service's score
    is then 100 x probability. Otherwise scores are the service's 0-100 score.
    """

    name: str
    scores: np.ndarray
    probability: bool

    def service_score(self) -> np.ndarray:
        return 100.0 * self.scores if self.probability else self.scores


@dataclass(frozen=True)
class Evaluation:
    """Labels, every scorer's scores and the figures (``metrics``, JSON-ready)."""

    y: np.ndarray
    amount: np.ndarray
    score_sets: tuple[ScoreSet, ...]
    metrics: dict[str, Any]
    patterns: np.ndarray | None = None
    order_ids: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    def score_set(self, name: str) -> ScoreSet:
        for s in self.score_sets:
            if s.name == name:
                return s
        raise KeyError(f"no scorer {name!r}; have {[s.name for s in self.score_sets]}")


# --- flagging the top share of orders ------------------------------------------------------------


def review_weights(scores: np.ndarray, rate: float) -> tuple[np.ndarray, float]:
    """Per order, the share of it flagged when the top ``rate`` of orders is reviewed.

    1 above the boundary score, 0 below, and a fraction for orders tied at the
    boundary. Returns (weights, boundary score).
    """
    scores = np.asarray(scores, dtype=float)
    n = len(scores)
    k = rate * n
    weights = np.zeros(n)
    if n == 0 or k <= 0:
        return weights, float("inf")
    order = np.sort(scores)[::-1]
    boundary = order[min(int(np.ceil(k)) - 1, n - 1)]
    above = scores > boundary
    tied = scores == boundary
    weights[above] = 1.0
    room = k - above.sum()
    if tied.any():
        weights[tied] = min(1.0, max(0.0, room / tied.sum()))
    return weights, float(boundary)


def at_review_rate(y: np.ndarray, scores: np.ndarray, rate: float) -> dict[str, float]:
    """Recall, precision and the score threshold when the top ``rate`` of orders is reviewed."""
    w, threshold = review_weights(scores, rate)
    flagged = w.sum()
    caught = (w * y).sum()
    positives = y.sum()
    return {
        "review_rate": float(flagged / len(y)) if len(y) else 0.0,
        "threshold": threshold,
        "recall": float(caught / positives) if positives else float("nan"),
        "precision": float(caught / flagged) if flagged else float("nan"),
    }


# --- cost --------------------------------------------------------------------------------------


def expected_cost(
    y: np.ndarray,
    amount: np.ndarray,
    review: np.ndarray,
    decline: np.ndarray,
    costs: Costs,
) -> dict[str, float]:
    """Euros lost on these orders when ``review``/``decline`` (weights 0-1) are applied.

    A fraud that gets through costs its amount plus the chargeback fee; a held
    order costs reviewer time (reviewers are assumed to catch the fraud they see);
    a declined good order costs its margin. Declined fraud costs nothing.
    """
    y = np.asarray(y, dtype=float)
    amount = np.nan_to_num(np.asarray(amount, dtype=float))
    reviewed = np.clip(review, 0, 1) * (1 - np.clip(decline, 0, 1))
    passed = 1 - np.clip(decline, 0, 1) - reviewed
    missed = (passed * y * (amount + costs.chargeback_fee_eur)).sum()
    reviewing = reviewed.sum() * costs.review_cost_eur
    lost_margin = (decline * (1 - y) * amount * costs.margin_rate).sum()
    total = missed + reviewing + lost_margin
    no_screening = (y * (amount + costs.chargeback_fee_eur)).sum()
    return {
        "cost_eur": float(total),
        "missed_fraud_eur": float(missed),
        "review_eur": float(reviewing),
        "lost_margin_eur": float(lost_margin),
        "no_screening_eur": float(no_screening),
        "saved_eur": float(no_screening - total),
        "cost_per_1000_orders_eur": float(1000 * total / len(y)) if len(y) else 0.0,
    }


def _figures_at(
    y: np.ndarray, amount: np.ndarray, scores: np.ndarray, rate: float, costs: Costs
) -> dict[str, Any]:
    """:func:`at_review_rate`'s figures with the cost breakdown under ``cost``."""
    return {
        **at_review_rate(y, scores, rate),
        "cost": cost_at_review_rate(y, amount, scores, rate, costs),
    }


def cost_at_review_rate(
    y: np.ndarray, amount: np.ndarray, scores: np.ndarray, rate: float, costs: Costs
) -> dict[str, float]:
    """Expected cost when the top ``rate`` of orders is held for review (no declines)."""
    w, _ = review_weights(scores, rate)
    return expected_cost(y, amount, w, np.zeros_like(w), costs)


def cost_at_thresholds(
    y: np.ndarray, amount: np.ndarray, service_score: np.ndarray, settings: Settings, costs: Costs
) -> dict[str, float]:
    """Expected cost with the service's thresholds on its 0-100 score."""
    decline = (service_score >= settings.decline_threshold).astype(float)
    review = ((service_score >= settings.review_threshold) & (decline == 0)).astype(float)
    out = expected_cost(y, amount, review, decline, costs)
    out["review_threshold"] = float(settings.review_threshold)
    out["decline_threshold"] = float(settings.decline_threshold)
    out["review_rate"] = float(review.mean()) if len(y) else 0.0
    out["decline_rate"] = float(decline.mean()) if len(y) else 0.0
    return out


def cost_curve(
    y: np.ndarray, amount: np.ndarray, scores: np.ndarray, costs: Costs,
    rates: Sequence[float] = COST_CURVE_RATES,
) -> list[tuple[float, float]]:
    """(review rate, cost in euros) over a grid of review rates, for the report."""
    return [(r, cost_at_review_rate(y, amount, scores, r, costs)["cost_eur"]) for r in rates]


# --- one scorer, all figures -------------------------------------------------------------------


def score_metrics(
    y: np.ndarray,
    amount: np.ndarray,
    score_set: ScoreSet,
    settings: Settings,
    rates: Sequence[float] = REVIEW_RATES,
) -> dict[str, Any]:
    """ROC-AUC, PR-AUC, figures at each review rate and at the service's thresholds."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    costs = Costs.from_settings(settings)
    both = len(np.unique(y)) == 2
    s = score_set.scores
    out: dict[str, Any] = {
        "roc_auc": float(roc_auc_score(y, s)) if both else None,
        "pr_auc": float(average_precision_score(y, s)) if both else None,
        "at_review_rate": {},
    }
    for rate in rates:
        out["at_review_rate"][f"{rate:g}"] = _figures_at(y, amount, s, rate, costs)
    out["at_staffed_rate"] = f"{float(settings.staffed_review_rate):g}"
    if out["at_staffed_rate"] not in out["at_review_rate"]:
        staffed = float(settings.staffed_review_rate)
        out["at_review_rate"][out["at_staffed_rate"]] = _figures_at(y, amount, s, staffed, costs)
    out["at_service_thresholds"] = cost_at_thresholds(
        y, amount, score_set.service_score(), settings, costs
    )
    if score_set.probability:
        out["brier"] = float(brier_score_loss(y, np.clip(s, 0, 1))) if len(y) else None
        out["mean_probability"] = float(np.mean(s)) if len(y) else None
    return out


def pattern_recall(
    patterns: np.ndarray, scores: np.ndarray, rates: Sequence[float] = REVIEW_RATES
) -> dict[str, dict[str, float]]:
    """Per ground-truth pattern: its order count and the share flagged at each review rate.

    For the honest pattern ``none`` this is the share of good orders held.
    """
    weights = {f"{r:g}": review_weights(scores, r)[0] for r in rates}
    out = {}
    for pattern in sorted(set(patterns.tolist())):
        mine = patterns == pattern
        row: dict[str, float] = {"orders": int(mine.sum())}
        for key, w in weights.items():
            row[f"recall@{key}"] = float(w[mine].mean())
        out[str(pattern)] = row
    return out


def evaluate_scores(
    y: np.ndarray,
    amount: np.ndarray,
    score_sets: Sequence[ScoreSet],
    settings: Settings,
    *,
    patterns: np.ndarray | None = None,
    order_ids: np.ndarray | None = None,
    rates: Sequence[float] = REVIEW_RATES,
) -> Evaluation:
    """Every figure for every scorer on the same orders and labels."""
    y = np.asarray(y, dtype=int)
    amount = np.asarray(amount, dtype=float)
    metrics: dict[str, Any] = {
        "orders": int(len(y)),
        "fraud": int(y.sum()),
        "fraud_rate": float(y.mean()) if len(y) else None,
        "amount_eur": float(np.nansum(amount)),
        "costs": Costs.from_settings(settings).__dict__,
        "review_rates": [float(r) for r in rates],
        "scorers": {s.name: score_metrics(y, amount, s, settings, rates) for s in score_sets},
    }
    if patterns is not None:
        metrics["patterns"] = {
            s.name: pattern_recall(patterns, s.scores, rates) for s in score_sets
        }
    ids = np.asarray(order_ids if order_ids is not None else [], dtype=object)
    return Evaluation(y, amount, tuple(score_sets), metrics, patterns, ids)


# --- the logistic-regression baseline ----------------------------------------------------------


def plain_frame(X: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """Numbers and flags as floats (None -> NaN), categories as text (None -> NaN)."""
    out = {}
    for name in X.columns:
        values = X[name].tolist()
        if kinds.get(name) == "cat":
            text = [np.nan if v is None else str(v) for v in values]
            out[name] = pd.Series(text, index=X.index, dtype=object)
        else:
            numbers = [np.nan if v is None else float(v) for v in values]
            out[name] = pd.Series(numbers, index=X.index, dtype=float)
    return pd.DataFrame(out, index=X.index)


def baseline_logistic(kinds: Mapping[str, str], random_state: int = 0) -> Any:
    """Logistic regression over one-hot categories and imputed, scaled numbers."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric = [n for n, k in kinds.items() if k != "cat"]
    categorical = [n for n, k in kinds.items() if k == "cat"]
    prepare = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                keep_empty_features=True),
                                  StandardScaler()), numeric),
            ("cat", make_pipeline(
                SimpleImputer(strategy="constant", fill_value="(missing)",
                              keep_empty_features=True),
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10)),
             categorical),
        ]
    )
    return make_pipeline(
        FunctionTransformer(plain_frame, kw_args={"kinds": dict(kinds)}),
        prepare,
        LogisticRegression(class_weight="balanced", C=0.1, max_iter=2000,
                           random_state=random_state),
    )


# --- the comparison on a dataset ---------------------------------------------------------------


def compare_on_dataset(
    dataset: Dataset,
    model: Any,
    train_mask: np.ndarray,
    eval_mask: np.ndarray,
    settings: Settings,
    *,
    truth: pd.DataFrame | None = None,
    kinds: Mapping[str, str] | None = None,
) -> Evaluation:
    """The model vs the rules alone vs a logistic regression fitted on ``train_mask``.

    Only labelled orders count on either side. ``truth`` (order_id, pattern)
    adds each pattern's recall.
    """
    from fraud.model.estimator import catalogue_kinds

    train = train_mask & dataset.labelled
    rows = eval_mask & dataset.labelled
    if rows.sum() == 0:
        raise ValueError("no labelled orders to evaluate on")
    kinds = dict(kinds or catalogue_kinds(dataset.feature_names))
    X_eval = dataset.X(rows)
    y = dataset.label[rows].to_numpy().astype(int)
    sets = [ScoreSet("model", model.predict_proba(X_eval)[:, 1], probability=True)]
    if dataset.rules_score is not None:
        sets.append(ScoreSet("rules", dataset.rules_score[rows].to_numpy(float), False))
    y_train = dataset.label[train].to_numpy().astype(int)
    if len(np.unique(y_train)) == 2:
        baseline = baseline_logistic(kinds).fit(dataset.X(train), y_train)
        sets.append(ScoreSet("logistic", baseline.predict_proba(X_eval)[:, 1], True))
    ids = dataset.features.index[rows].to_numpy()
    patterns = None
    if truth is not None:
        by_id = truth.set_index("order_id")["pattern"]
        patterns = by_id.reindex(ids).fillna("unknown").astype(str).to_numpy()
    return evaluate_scores(y, dataset.amount_eur[rows].to_numpy(), sets, settings,
                           patterns=patterns, order_ids=ids)


def headline(evaluation: Evaluation, scorer: str = "model") -> dict[str, Any]:
    """The few numbers a model card shows."""
    m = evaluation.metrics["scorers"][scorer]
    staffed = m["at_review_rate"][m["at_staffed_rate"]]
    return {
        "orders": evaluation.metrics["orders"],
        "fraud": evaluation.metrics["fraud"],
        "roc_auc": m["roc_auc"],
        "pr_auc": m["pr_auc"],
        "recall_at": {k: v["recall"] for k, v in m["at_review_rate"].items()},
        "precision_at": {k: v["precision"] for k, v in m["at_review_rate"].items()},
        "cost_at_staffed_rate_eur": staffed["cost"]["cost_eur"],
        "brier": m.get("brier"),
    }


# --- a saved model on (new) data ---------------------------------------------------------------


def evaluate_artifact(
    folder: str | Path,
    raw: Any,
    settings: Settings,
    *,
    truth: pd.DataFrame | None = None,
    since: datetime | None = None,
    cutoff: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Evaluation, dict[str, Any]]:
    """A saved model (``models/<version>/``) vs the rules vs a fresh logistic baseline.

    Evaluates on labelled orders created from ``since`` on (default: the start
    of the model's validation weeks, from its card, so no training order counts).
    Labels are read as of ``cutoff`` (default: the latest event in the data) with
    the model's maturity. The baseline learns from orders before the model's
    training end. Returns the evaluation and a context dict for the report.
    """
    from fraud.model.dataset import LabelPolicy, build_dataset
    from fraud.model.estimator import FraudModel
    from fraud.rules import load_rules

    folder = Path(folder)
    model = FraudModel.load(folder)
    card_path = folder / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    split = card.get("split", {})
    maturity = timedelta(days=float(card.get("label_policy", {}).get("maturity_days", 60)))
    policy = LabelPolicy(cutoff or raw.last_event_time(), maturity)
    rules = load_rules(settings.rules_path)
    dataset = build_dataset(raw, policy, settings, rules=rules, progress=progress)
    t = dataset.created_at
    start = since or (datetime.fromisoformat(split["valid_start"]) if "valid_start" in split
                      else None)
    eval_mask = np.ones(len(t), dtype=bool) if start is None else np.array(
        t >= pd.Timestamp(start), dtype=bool)
    train_end = split.get("train_end")
    train_mask = (np.array(t < pd.Timestamp(datetime.fromisoformat(train_end)), dtype=bool)
                  if train_end else np.zeros(len(t), dtype=bool))
    evaluation = compare_on_dataset(dataset, model, train_mask, eval_mask, settings, truth=truth)
    context = {
        "model": card.get("version", folder.name),
        "rules": rules.version,
        "data": dataset.source,
        "evaluated from": start.isoformat() if start else "all orders",
        "labels as of": policy.cutoff.isoformat(),
        "maturity (days)": f"{maturity.total_seconds() / 86400:g}",
    }
    return evaluation, context

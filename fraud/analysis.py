"""Analysis helpers for the notebooks: stored orders and decisions as pandas frames,
fraud rates, how well each signal separates fraud from honest orders, thresholds
chosen by cost, model explanations as tables, candidate rule files and shadow reports.

Notebooks hold no logic of their own; everything they compute is a function here
(or elsewhere in ``fraud/``), so it is tested and reused. Functions take frames or
library objects and return frames; none of them writes into the repository.

    >>> from fraud.analysis import orders_frame, fraud_rates, signal_separation
    >>> with runtime.sessions() as session:
    ...     frame = orders_frame(session)
    >>> fraud_rates(frame, "billing_country")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fraud.domain import Outcome

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from fraud.model.evaluate import Costs, Evaluation
    from fraud.model.scorer import ModelScorer
    from fraud.runtime import Runtime
    from fraud.schema import Order
    from fraud.settings import Settings
    from fraud.store.shadow import ShadowReport

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ORDERS_COUNT = 20_000
"""Orders in the bundled sample (``data/sample_*.gz``)."""

FRAUD_OUTCOMES = frozenset(o.value for o in Outcome if o.is_fraud)
RARE = "(rare)"


# --- data for a notebook ---------------------------------------------------------------------


@dataclass(frozen=True)
class SampleFiles:
    """Orders, outcome events and the simulator's ground truth, as files."""

    orders: Path
    outcomes: Path
    truth: Path
    bundled: bool


def sample_files(
    n_orders: int, folder: str | Path, *, days: int = 90, seed: int = 42
) -> SampleFiles:
    """The bundled 20,000-order sample when ``n_orders`` asks for it (and it exists);
    otherwise ``n_orders`` simulated orders over ``days`` days, written into ``folder``.

    Small runs (tests, a quick look) keep the full 90 days, so the time-based
    splits and label maturity of the bigger runs still make sense.
    """
    bundled = SampleFiles(REPO_ROOT / "data" / "sample_orders.jsonl.gz",
                          REPO_ROOT / "data" / "sample_outcomes.jsonl.gz",
                          REPO_ROOT / "data" / "sample_truth.csv.gz", bundled=True)
    if n_orders == SAMPLE_ORDERS_COUNT and all(
            p.exists() for p in (bundled.orders, bundled.outcomes, bundled.truth)):
        return bundled
    from fraud.simulate import simulate

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = SampleFiles(folder / "orders.jsonl.gz", folder / "outcomes.jsonl.gz",
                        folder / "truth.csv.gz", bundled=False)
    sim = simulate(n_orders, days=days, seed=seed)
    sim.write(files.orders)
    sim.write_outcomes(files.outcomes)
    sim.write_truth(files.truth)
    return files


def bundled_model_dir() -> Path:
    """The repository's ``models/`` folder (the default model; read, never written)."""
    return REPO_ROOT / "models"


def notebook_folder(name: str) -> Path:
    """An empty folder for everything notebook ``name`` writes: ``$FRAUD_NOTEBOOK_DIR/name``,
    else ``var/notebooks/name`` in the repository (git-ignored, like the service's own
    ``var/``). What an earlier run left there is removed, so runs never pile up and
    never land in the system's temporary folder."""
    import os
    import shutil

    base = Path(os.environ.get("FRAUD_NOTEBOOK_DIR") or REPO_ROOT / "var" / "notebooks")
    folder = base / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def notebook_settings(folder: str | Path, **overrides: Any) -> Settings:
    """Settings for a notebook: store and state in ``folder``, no ``.env`` file read,
    everything else as the service's defaults unless overridden."""
    from fraud.settings import Settings

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {"data_dir": folder, "model_dir": folder / "models"}
    values.update(overrides)
    return Settings(_env_file=None, **values)


def orders_in_time_order(path: str | Path) -> list[Order]:
    """Validated orders from a file (JSONL(.gz), Parquet, CSV), oldest first."""
    from fraud.rules.backtest import read_order_file

    return sorted(read_order_file(path), key=lambda o: (o.created_at, o.order_id))


def score_live(
    runtime: Runtime,
    orders: Iterable[Order],
    outcomes: Iterable[Mapping[str, Any]] = (),
) -> int:
    """Send orders through the running service as live traffic (stored, and decided by
    the shadow rules too when configured), then record the outcomes reported for them.

    Returns how many orders were newly stored.
    """
    created: set[str] = set()
    for order in orders:
        if runtime.score(order).created:
            created.add(order.order_id)
    for event in outcomes:
        if event["order_id"] in created:
            at = event["at"]
            when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
            runtime.record_outcome(event["order_id"], Outcome(event["outcome"]), when)
    return len(created)


# --- the store as a frame --------------------------------------------------------------------


def _session_of(source: Engine | Session) -> tuple[Session, bool]:
    from sqlalchemy.orm import Session

    if isinstance(source, Session):
        return source, False
    return Session(source), True


def orders_frame(
    source: Engine | Session,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Stored orders created in ``[since, until)`` with their latest decision, outcomes
    and the features the decision was made on, one row per order (index ``order_id``).

    Columns: ``created_at`` (UTC), ``account_id``, ``currency``; the decision's
    ``score``, ``action``, ``model_probability``, ``rules_version``, ``model_version``,
    ``rule_hits`` and ``reason_codes`` (tuples of ids), ``signals_unavailable``;
    the outcomes: ``outcomes`` (tuple, oldest first), ``last_outcome``,
    ``is_fraud`` (a chargeback or confirmed fraud was reported) and
    ``fraud_reported_at``; then one column per stored feature.
    Orders stored without a decision have empty decision columns.
    """
    from fraud.store.repository import find_decision, iter_orders

    session, owned = _session_of(source)
    rows: list[dict[str, Any]] = []
    try:
        for order, outcomes in iter_orders(session, since, until):
            stored = find_decision(session, order.order_id)
            fraud_at = [o.at for o in outcomes if o.outcome.is_fraud]
            row: dict[str, Any] = {
                "order_id": order.order_id,
                "created_at": order.created_at,
                "account_id": order.customer.account_id,
                "currency": str(order.payment.currency),
                "score": None, "action": None, "model_probability": None,
                "rules_version": None, "model_version": None,
                "rule_hits": (), "reason_codes": (), "signals_unavailable": (),
                "outcomes": tuple(o.outcome.value for o in outcomes),
                "last_outcome": outcomes[-1].outcome.value if outcomes else None,
                "is_fraud": bool(fraud_at),
                "fraud_reported_at": min(fraud_at) if fraud_at else None,
            }
            if stored is not None:
                d = stored.decision
                row.update(
                    score=d.score, action=d.action.label, model_probability=d.model_probability,
                    rules_version=d.versions.rules, model_version=d.versions.model,
                    rule_hits=tuple(h.rule_id for h in d.rule_hits if h.status == "hit"),
                    reason_codes=tuple(r.code for r in d.reasons),
                    signals_unavailable=d.signals_unavailable,
                )
                row.update({k: v for k, v in stored.features.items() if k not in row})
            rows.append(row)
    finally:
        if owned:
            session.close()
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["created_at", "score", "action", "is_fraud"],
                            index=pd.Index([], name="order_id"))
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["fraud_reported_at"] = pd.to_datetime(frame["fraud_reported_at"], utc=True)
    return frame.set_index("order_id")


def add_truth(frame: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the simulator's ground truth joined by order id: ``pattern``
    (``none`` for honest orders), ``honest_quirk`` and ``is_fraud_truth``.

    Ground truth is for understanding and evaluation only; it never trains anything.
    Orders missing from ``truth`` get ``pattern`` ``unknown``.
    """
    table = truth.assign(order_id=truth["order_id"].astype(str)).set_index("order_id")
    out = frame.copy()
    out["pattern"] = table["pattern"].reindex(out.index).fillna("unknown").astype(str)
    if "honest_quirk" in table:
        out["honest_quirk"] = table["honest_quirk"].reindex(out.index).fillna("unknown")
    out["is_fraud_truth"] = table["is_fraud"].reindex(out.index).fillna(False).astype(bool)
    return out


# --- rates and separation --------------------------------------------------------------------


def fraud_rates(
    frame: pd.DataFrame, by: str | Sequence[str], label: str = "is_fraud", *, min_orders: int = 1
) -> pd.DataFrame:
    """Per group of ``by``: orders, fraud, fraud rate, the group's share of all orders
    and of all fraud, most orders first. Groups under ``min_orders`` are left out
    (their rates are noise); missing values form their own group ``(missing)``."""
    keys = [by] if isinstance(by, str) else list(by)
    data = frame[keys].astype(object).where(frame[keys].notna(), "(missing)")
    data = data.assign(_fraud=frame[label].astype(bool).to_numpy())
    grouped = data.groupby(keys, dropna=False)["_fraud"].agg(orders="size", fraud="sum")
    total_orders, total_fraud = len(frame), int(frame[label].astype(bool).sum())
    grouped["fraud"] = grouped["fraud"].astype(int)
    grouped["fraud_rate"] = grouped["fraud"] / grouped["orders"]
    grouped["share_of_orders"] = grouped["orders"] / total_orders if total_orders else np.nan
    grouped["share_of_fraud"] = grouped["fraud"] / total_fraud if total_fraud else np.nan
    grouped = grouped[grouped["orders"] >= min_orders]
    return grouped.sort_values(["orders", "fraud"], ascending=False)


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC with ties counted half (Mann-Whitney), NaN when one class is absent."""
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _as_numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.map(lambda v: float(v) if v is not None and not (
        isinstance(v, float) and np.isnan(v)) else np.nan), errors="coerce")


def _category_scores(values: pd.Series, y: np.ndarray, min_orders: int) -> np.ndarray:
    """Each row's category fraud rate; categories under ``min_orders`` pooled as rare."""
    text = values.astype(object).where(values.notna(), "(missing)").astype(str)
    counts = text.map(text.value_counts())
    text = text.where(counts >= min_orders, RARE)
    rates = pd.Series(y.astype(float), index=text.index).groupby(text).mean()
    return text.map(rates).to_numpy(dtype=float)


def signal_separation(
    frame: pd.DataFrame,
    features: Iterable[str] | None = None,
    label: str = "is_fraud",
    *,
    min_orders: int = 20,
) -> pd.DataFrame:
    """How well each feature, alone, separates fraud from honest orders.

    One row per feature with its ``kind``, ``coverage`` (share of orders with a
    value), ``missing_fraud`` / ``missing_good`` (share missing in each class),
    ``fraud_value`` / ``good_value`` (mean for numbers and flags; the most
    over-represented category among fraud for categories), ``auc`` (ROC-AUC of
    the feature alone, 0.5 = no separation, folded so that it is at least 0.5)
    and ``direction`` (``higher in fraud`` / ``lower in fraud``). Sorted by ``auc``.

    For numbers and flags the AUC is computed among orders with a value (how
    often a value is missing is in its own columns); for categories a missing
    value is a category of its own. Categories are scored by their fraud rate
    in this same frame, with categories under ``min_orders`` orders pooled, so
    their AUC is descriptive, a little optimistic, and no substitute for the
    model's evaluation by time.
    ``features`` defaults to every model feature present in ``frame``.
    """
    from fraud.signals import feature_catalogue

    catalogue = feature_catalogue()
    if features is None:
        features = [n for n, f in catalogue.items() if f.kind != "text" and n in frame.columns]
    y = frame[label].astype(bool).to_numpy()
    rows = []
    for name in features:
        values = frame[name]
        present = values.notna().to_numpy()
        kind = catalogue[name].kind if name in catalogue else (
            "num" if pd.api.types.is_numeric_dtype(values) else "cat")
        row: dict[str, Any] = {
            "feature": name,
            "kind": kind,
            "coverage": float(present.mean()) if len(present) else float("nan"),
            "missing_fraud": float((~present[y]).mean()) if y.any() else float("nan"),
            "missing_good": float((~present[~y]).mean()) if (~y).any() else float("nan"),
        }
        if kind == "cat":
            scores = _category_scores(values, y, min_orders)
            text = values.astype(object).where(values.notna(), "(missing)").astype(str)
            share_fraud = text[y].value_counts(normalize=True)
            share_good = text[~y].value_counts(normalize=True)
            lift = (share_fraud / share_good.reindex(share_fraud.index).fillna(0).clip(
                lower=1 / max(1, (~y).sum()))).sort_values(ascending=False)
            row["fraud_value"] = lift.index[0] if len(lift) else None
            row["good_value"] = share_good.index[0] if len(share_good) else None
        else:
            numbers = _as_numbers(values)
            row["fraud_value"] = float(numbers[y].mean()) if y.any() else float("nan")
            row["good_value"] = float(numbers[~y].mean()) if (~y).any() else float("nan")
            scores = numbers.to_numpy()
        # numbers and flags: among orders with a value (missingness has its own columns)
        keep = present if kind != "cat" else np.ones(len(y), dtype=bool)
        auc = _auc(y[keep], scores[keep])
        row["direction"] = "higher in fraud" if not auc < 0.5 else "lower in fraud"
        row["auc"] = max(auc, 1 - auc) if not np.isnan(auc) else auc
        rows.append(row)
    columns = ["feature", "kind", "auc", "direction", "fraud_value", "good_value", "coverage",
               "missing_fraud", "missing_good"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values("auc", ascending=False, na_position="last").reset_index(drop=True)


# --- model evaluation as tables --------------------------------------------------------------


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


# --- rules ----------------------------------------------------------------------------------


def candidate_rules(
    base: str | Path, new_rules: str, version: str, path: str | Path
) -> Path:
    """Write a candidate rules file: the rules at ``base`` plus ``new_rules`` (YAML
    text of a list of rules, as under ``rules:``) with ``version``; a rule whose id
    is already in the base replaces it (tuning keeps the id). The file is checked
    by :func:`fraud.rules.load_rules` and refused (``RulesError``, naming the rule
    and reason) when invalid. Returns ``path``.
    """
    import yaml

    from fraud.rules import load_rules

    data = yaml.safe_load(Path(base).read_text(encoding="utf-8"))
    added = yaml.safe_load(new_rules) or []
    if not isinstance(added, list):
        raise ValueError("new_rules must be a YAML list of rules (each starting with '- id:')")
    ids = {r["id"] for r in added}
    data["rules"] = [r for r in data.get("rules", []) if r.get("id") not in ids] + added
    data["version"] = version
    path = Path(path)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    load_rules(path)  # refuse a broken file here, with the rule and reason
    return path


def shadow_summary(report: ShadowReport) -> pd.DataFrame:
    """One row per candidate version of a :func:`fraud.store.shadow.shadow_report`:
    orders, agreement with live, review and decline rates live and shadow, and the
    orders with reported fraud that each side would not have approved."""
    rows = [{
        "rules_version": v.rules_version,
        "orders": v.orders,
        "agreement": v.agreement,
        "live_review_rate": v.live_review_rate,
        "shadow_review_rate": v.shadow_review_rate,
        "review_rate_change": v.review_rate_change,
        "live_decline_rate": v.live_decline_rate,
        "shadow_decline_rate": v.shadow_decline_rate,
        "known_fraud": v.known_fraud,
        "live_fraud_flagged": v.live_fraud_flagged,
        "shadow_fraud_flagged": v.shadow_fraud_flagged,
    } for v in report.versions]
    return pd.DataFrame(rows)


def shadow_disagreements(report: ShadowReport, rules_version: str | None = None) -> pd.DataFrame:
    """The orders a candidate version decided differently from live (first version
    of the report when ``rules_version`` is ``None``)."""
    versions = [v for v in report.versions
                if rules_version is None or v.rules_version == rules_version]
    if not versions:
        return pd.DataFrame()
    rows = [{"order_id": d.order_id, "live_action": d.live_action.label,
             "shadow_action": d.shadow_action.label, "live_score": d.live_score,
             "shadow_score": d.shadow_score, "known_fraud": d.known_fraud}
            for d in versions[0].disagreements]
    return pd.DataFrame(rows, columns=["order_id", "live_action", "shadow_action", "live_score",
                                       "shadow_score", "known_fraud"])


__all__ = [
    "SampleFiles",
    "add_truth",
    "bundled_model_dir",
    "candidate_rules",
    "cheapest",
    "comparison_table",
    "explain_orders",
    "fraud_rates",
    "notebook_folder",
    "notebook_settings",
    "orders_frame",
    "orders_in_time_order",
    "pattern_table",
    "sample_files",
    "score_live",
    "service_scores",
    "shadow_disagreements",
    "shadow_summary",
    "signal_separation",
    "threshold_costs",
]

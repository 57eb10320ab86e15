"""Fraud rates per group, and how well each signal separates fraud from honest orders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:

    pass

RARE = "(rare)"


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

"""The public e-commerce fraud data set as a benchmark: split by time, and at random.

Features come from the real pipeline (:func:`fraud.features.build_frame` over a
:class:`fraud.history.MemoryHistory`), so device and IP sharing are counted
strictly as of each purchase, with the source's own IP-to-country table as the
geo database and the signals it cannot support skipped. Features that derive
from placeholder fields are left out. The model is the service's own
:class:`fraud.model.estimator.FraudModel` with its default parameters: nothing
here is tuned to this file.

Two evaluations, same features, same model settings:

* ``time``: train on the earliest 80 % of purchases, test on the latest 20 %
  (the protocol of Amazon's Fraud Dataset Benchmark);
* ``random``: a seeded random 80/20 split of the same purchases.

Each result also says how much of its test fraud is "instant" (bought within a
minute of signup), the fraud ring that makes a random split look good.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fraud.importers.ecommerce import (
    LABEL_DELAY,
    PLACEHOLDER_FEATURES,
    EcommerceData,
    load_ecommerce,
    mask_placeholders,
)
from fraud.settings import Settings

REVIEW_RATES = (0.01, 0.02, 0.05)
TEST_SHARE = 0.2
INSTANT_DAYS = 1 / 1440
"""Purchases within a minute of signup: the early fraud ring's signature."""


@dataclass(frozen=True)
class SplitResult:
    """Figures of one train/test split on the purchases the model never saw."""

    name: str
    train_rows: int
    test_rows: int
    train_fraud: int
    test_fraud: int
    roc_auc: float
    roc_auc_se: float
    """Standard error of the ROC-AUC (Hanley and McNeil, 1982): how much is noise."""
    pr_auc: float
    recall_at: dict[str, float]
    precision_at: dict[str, float]
    test_fraud_instant_share: float
    """Share of the test fraud bought within a minute of signup."""
    roc_auc_without_instant: float | None
    """ROC-AUC on the test purchases that were not instant (the ring removed)."""
    test_start: str | None = None


@dataclass(frozen=True)
class BenchmarkResult:
    """Both splits, and what the run read and how long features took."""

    time_split: SplitResult
    random_split: SplitResult
    orders: int
    fraud_rate: float
    skipped_rows: int
    features_used: tuple[str, ...]
    feature_seconds: float
    seconds_per_order_ms: float
    notes: dict[str, Any] = field(default_factory=dict)


def model_columns(data: EcommerceData) -> list[str]:
    """Model features this source can fill: not from a skipped signal, not a placeholder."""
    from fraud.features import model_feature_names
    from fraud.signals import feature_catalogue

    catalogue = feature_catalogue()
    return [
        name
        for name in model_feature_names(catalogue)
        if catalogue[name].signal not in data.skip and name not in PLACEHOLDER_FEATURES
    ]


def feature_frame(data: EcommerceData, settings: Settings) -> pd.DataFrame:
    """Every order's features through the pipeline, history strictly before each purchase.

    The history holds every purchase and every label event (each known at
    purchase time + the label delay); an order sees only what came before it.
    Placeholder-derived columns are masked to ``None``.
    """
    from fraud.features import build_frame
    from fraud.history import MemoryHistory

    history = MemoryHistory.from_orders(data.orders, data.outcomes, fx_rates=settings.fx_rates)
    frame = build_frame(data.orders, data.context(settings, history))
    return mask_placeholders(frame)


def time_masks(created_at: pd.Series, test_share: float = TEST_SHARE) -> tuple[np.ndarray, ...]:
    """(train, test): the earliest ``1 - test_share`` of purchases, and the rest."""
    n = len(created_at)
    order = np.argsort(created_at.to_numpy(), kind="stable")
    test = np.zeros(n, dtype=bool)
    test[order[int(round(n * (1 - test_share))) :]] = True
    return ~test, test


def random_masks(n: int, test_share: float = TEST_SHARE, seed: int = 0) -> tuple[np.ndarray, ...]:
    """(train, test): a seeded random ``test_share`` of rows tests."""
    rng = np.random.default_rng(seed)
    test = np.zeros(n, dtype=bool)
    test[rng.permutation(n)[: int(round(n * test_share))]] = True
    return ~test, test


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley-McNeil standard error of a ROC-AUC from its value and the class sizes."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (
        auc * (1 - auc)
        + (positives - 1) * (q1 - auc**2)
        + (negatives - 1) * (q2 - auc**2)
    ) / (positives * negatives)
    return float(np.sqrt(max(var, 0.0)))


def evaluate_split(
    name: str,
    X: pd.DataFrame,
    y: np.ndarray,
    created_at: pd.Series,
    train: np.ndarray,
    test: np.ndarray,
    *,
    rates: Sequence[float] = REVIEW_RATES,
    random_state: int = 0,
) -> SplitResult:
    """Fit the service's model on ``train`` rows (in time order) and score ``test`` rows."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from fraud.model.estimator import FraudModel, catalogue_kinds
    from fraud.model.evaluate import at_review_rate

    by_time = np.argsort(created_at.to_numpy(), kind="stable")
    fit_rows = by_time[train[by_time]]  # FraudModel calibrates on its latest rows
    model = FraudModel(catalogue_kinds(list(X.columns)), random_state=random_state)
    model.fit(X.iloc[fit_rows], y[fit_rows])
    p = model.predict_proba(X.loc[test])[:, 1]
    y_test = y[test]
    figures = {f"{r:g}": at_review_rate(y_test, p, r) for r in rates}
    instant = np.asarray(X.loc[test, "account_age_days"].astype(float) <= INSTANT_DAYS)
    rest = ~instant
    auc_rest = (
        float(roc_auc_score(y_test[rest], p[rest])) if len(np.unique(y_test[rest])) == 2 else None
    )
    fraud = y_test == 1
    return SplitResult(
        name=name,
        train_rows=int(train.sum()),
        test_rows=int(test.sum()),
        train_fraud=int(y[train].sum()),
        test_fraud=int(fraud.sum()),
        roc_auc=(auc := float(roc_auc_score(y_test, p))),
        roc_auc_se=auc_standard_error(auc, int(fraud.sum()), int((~fraud).sum())),
        pr_auc=float(average_precision_score(y_test, p)),
        recall_at={k: v["recall"] for k, v in figures.items()},
        precision_at={k: v["precision"] for k, v in figures.items()},
        test_fraud_instant_share=float(instant[fraud].mean()) if fraud.any() else float("nan"),
        roc_auc_without_instant=auc_rest,
        test_start=str(created_at[test].min()) if name == "time" else None,
    )


def run_benchmark(
    path: str | Path,
    settings: Settings | None = None,
    *,
    seed: int = 0,
    test_share: float = TEST_SHARE,
) -> BenchmarkResult:
    """Import the data set at ``path``, build features, and evaluate both splits."""
    settings = settings or Settings(_env_file=None)
    data = load_ecommerce(path)
    started = time.perf_counter()
    frame = feature_frame(data, settings)
    seconds = time.perf_counter() - started
    columns = model_columns(data)
    X = frame.loc[:, columns]
    y = data.labels.loc[frame.index, "is_fraud"].to_numpy().astype(np.int64)
    created = data.labels.loc[frame.index, "created_at"]
    train_t, test_t = time_masks(created, test_share)
    train_r, test_r = random_masks(len(frame), test_share, seed)
    return BenchmarkResult(
        time_split=evaluate_split("time", X, y, created, train_t, test_t, random_state=seed),
        random_split=evaluate_split("random", X, y, created, train_r, test_r, random_state=seed),
        orders=len(frame),
        fraud_rate=float(y.mean()),
        skipped_rows=len(data.bad_rows),
        features_used=tuple(columns),
        feature_seconds=round(seconds, 2),
        seconds_per_order_ms=round(1000 * seconds / max(1, len(frame)), 3),
        notes={
            "label_delay_days": LABEL_DELAY.days,
            "skipped_signals": sorted(data.skip),
            "test_share": test_share,
            "seed": seed,
        },
    )


def format_result(result: BenchmarkResult) -> str:
    """A small plain-text table of both splits, for the docs and the terminal."""
    rates = list(result.time_split.recall_at)
    head = ["split", "train", "test", "test fraud", "instant share", "ROC-AUC",
            "ROC-AUC w/o instant", "PR-AUC"] + [f"recall@{float(r):.0%}" for r in rates]
    lines = [" | ".join(head)]
    for s in (result.time_split, result.random_split):
        rest = "n/a" if s.roc_auc_without_instant is None else f"{s.roc_auc_without_instant:.3f}"
        cells = [s.name, str(s.train_rows), str(s.test_rows), str(s.test_fraud),
                 f"{s.test_fraud_instant_share:.1%}", f"{s.roc_auc:.3f} ± {s.roc_auc_se:.3f}",
                 rest, f"{s.pr_auc:.3f}"]
        cells += [f"{s.recall_at[r]:.3f}" for r in rates]
        lines.append(" | ".join(cells))
    lines.append(
        f"{result.orders} orders ({result.skipped_rows} rows skipped), fraud rate "
        f"{result.fraud_rate:.2%}, {len(result.features_used)} features; features built in "
        f"{result.feature_seconds:.1f} s ({result.seconds_per_order_ms:.2f} ms/order)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m fraud.importers.benchmark [PATH]``: print both splits' figures."""
    import sys

    from fraud.importers.ecommerce import default_data_path

    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else default_data_path()
    print(format_result(run_benchmark(path)))


if __name__ == "__main__":
    main()

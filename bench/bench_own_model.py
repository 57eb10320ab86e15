"""Why does a shop's own model rank worse than a plain gradient-boosting model on the same
rows and labels? Both, side by side, on the same held-out shops, step by step.

    .venv/bin/python bench/bench_own_model.py [--judged-shops 3] [--test-orders 8000]
        [--cache var/bench-own-model]

For each held-out shop B (the generalisation bench's: shop seeds 900, 901, ..., simulation
seeds 901, 902, ..., fraud scaled to 0.5-1.5 %, 120 days, cut-off at day 90), the orders
are scored once through the batch pipeline with the bundled model (each outcome joins
history at its reported time) and the shop's training dataset is
built as ``fraud train --cutoff <day 90>`` builds it; both are cached in ``--cache`` (a
pickle per shop) so that the comparison below reruns in seconds.

Then every variant is fitted on the same rows, labels and weights ``fraud train`` fits on
(the matured training weeks plus the young orders, their silences weighed by age) and
ranks the orders after day 90, judged against the simulator's ground truth:

* ``FraudModel`` from scratch as ``fraud train --from-scratch`` configures it, and with one
  thing changed at a time (the booster's output before calibration; no calibration
  hold-out);
* ``FraudModel`` continued from the bundled model, as ``fraud train`` fits by default, and
  the same continuation written directly with LightGBM with other tree counts and learning
  rates; a blend of the bundled model's and the own model's rankings;
* scikit-learn's ``HistGradientBoostingClassifier`` (default parameters) on the same
  encoded matrix.

Printed: frauds caught at each shop's own 2 % and 5 % review rate, pooled over the shops,
and the median ROC-AUC. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_generalisation import (  # noqa: E402
    REVIEW_RATES,
    say,
    score_all,
    ticker,
    to_raw,
    with_fraud_rate,
)

from fraud.history import utc  # noqa: E402
from fraud.model.dataset import (  # noqa: E402
    LabelPolicy,
    build_dataset,
    default_windows,
    matured_split,
)
from fraud.model.evaluate import at_review_rate  # noqa: E402
from fraud.model.train import fitting_rows  # noqa: E402
from fraud.rules import load_rules  # noqa: E402
from fraud.settings import get_settings  # noqa: E402
from fraud.simulate import ShopConfig, simulate  # noqa: E402


def shop_inputs(i: int, args: argparse.Namespace) -> dict[str, Any]:
    """Judged shop ``i``: its training dataset as of the cut-off, the split, the features of
    every order as the service saw them, and the ground truth (cached)."""
    path = args.cache / f"shop-{args.test_shop_seed + i}-{args.test_orders}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())  # noqa: S301 - our own cache
    settings = get_settings()
    shop = with_fraud_rate(ShopConfig.random(args.test_shop_seed + i), 0.005, 0.015)
    sim = simulate(args.test_orders, days=120, seed=args.test_seed + i, shop=shop)
    raw = to_raw(list(sim.orders()), sim.outcomes, f"shop-b{i + 1}")
    cutoff = pd.Timestamp(sim.start + timedelta(days=90)).tz_convert("UTC").to_pydatetime()
    say(f"B{i + 1}: {shop.summary()}; scoring {len(raw.orders)} orders")
    scored = score_all(raw, settings)
    features = pd.DataFrame([s.features.values for s in scored],
                            index=[o.order_id for o in raw.orders])
    at_cutoff = raw.as_of(cutoff)
    policy = LabelPolicy(cutoff)
    times = pd.Series([o.created_at for o in at_cutoff.orders], dtype=object)
    split = matured_split(times, policy, *default_windows(times, policy))
    dataset = build_dataset(at_cutoff, policy, settings, rules=load_rules(settings.rules_path),
                            progress=ticker(len(at_cutoff.orders), "training features"))
    inputs = {"dataset": dataset, "split": split, "features": features,
              "created_at": pd.Series([utc(o.created_at) for o in raw.orders],
                                      index=features.index),
              "truth": sim.truth().set_index("order_id"), "cutoff": cutoff,
              "summary": shop.summary()}
    args.cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(inputs))
    return inputs


Fit = Callable[[pd.DataFrame, np.ndarray, np.ndarray, pd.DataFrame, dict[str, Any]], np.ndarray]


def variants(base: Any) -> dict[str, Fit]:
    """name -> fit(X, y, w, X_judged, inputs) returning a score per judged row."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from fraud.model.estimator import FraudModel, catalogue_kinds
    from fraud.model.train import TRAIN_MODEL_PARAMS

    def fraud_model(**params: Any) -> Fit:
        def fit(X: pd.DataFrame, y: np.ndarray, w: np.ndarray, J: pd.DataFrame,
                inputs: dict[str, Any]) -> np.ndarray:
            model = FraudModel(catalogue_kinds(list(X.columns)),
                               **{**TRAIN_MODEL_PARAMS, **params})
            model.fit(X, y, sample_weight=w)
            return model.predict_proba(J)[:, 1]
        return fit

    def fraud_model_raw(**params: Any) -> Fit:
        def fit(X: pd.DataFrame, y: np.ndarray, w: np.ndarray, J: pd.DataFrame,
                inputs: dict[str, Any]) -> np.ndarray:
            model = FraudModel(catalogue_kinds(list(X.columns)),
                               **{**TRAIN_MODEL_PARAMS, **params})
            model.fit(X, y, sample_weight=w)
            return model.predict_raw(J)
        return fit

    def hgb(X: pd.DataFrame, y: np.ndarray, w: np.ndarray, J: pd.DataFrame,
            inputs: dict[str, Any]) -> np.ndarray:
        matrix, judged = base.encode_frame(X), base.encode_frame(J)
        seen = ~np.isnan(matrix).all(axis=0)
        return HistGradientBoostingClassifier(random_state=0).fit(
            matrix[:, seen], y, sample_weight=w).predict_proba(judged[:, seen])[:, 1]

    def bundled(X: pd.DataFrame, y: np.ndarray, w: np.ndarray, J: pd.DataFrame,
                inputs: dict[str, Any]) -> np.ndarray:
        return np.asarray(base.predict_frame(J))

    def continued(rounds: int, hold_out: float = 0.0, **extra: Any) -> Fit:
        def fit(X: pd.DataFrame, y: np.ndarray, w: np.ndarray, J: pd.DataFrame,
                inputs: dict[str, Any]) -> np.ndarray:
            import lightgbm as lgb

            keep = len(X) - int(round(len(X) * hold_out))
            X, y, w = X.iloc[:keep], y[:keep], w[:keep]

            params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15,
                      "min_child_samples": 20, "feature_fraction": 0.8, "lambda_l2": 1.0,
                      "seed": 0, "deterministic": True, "force_row_wise": True,
                      "verbosity": -1, **extra}
            data = lgb.Dataset(base.encode_frame(X), label=y, weight=w,
                               feature_name=[e.name for e in base.encodings])
            booster = lgb.train(params, data, num_boost_round=rounds, init_model=base.booster)
            return booster.predict(base.encode_frame(J), raw_score=True)
        return fit

    def blend(share: float) -> Fit:
        own = fraud_model_raw()

        def fit(X: pd.DataFrame, y: np.ndarray, w: np.ndarray, J: pd.DataFrame,
                inputs: dict[str, Any]) -> np.ndarray:
            from scipy.stats import rankdata

            mine = rankdata(own(X, y, w, J, inputs)) / len(J)
            theirs = rankdata(base.predict_frame(J)) / len(J)
            return share * theirs + (1 - share) * mine
        return fit

    return {
        "bundled model (not retrained)": bundled,
        "continued from the bundled model, 50 trees": continued(50),
        "continued from the bundled model, 150 trees": continued(150),
        "continued from the bundled model, 150 trees, lr 0.02": continued(
            150, learning_rate=0.02),
        "continued, 100 trees, min_child_samples 5": continued(100, min_child_samples=5),
        "continued, 150 trees, the last 25 % of rows held out": continued(150, 0.25),
        "blend of ranks: bundled 0.5, own 0.5": blend(0.5),
        "FraudModel from scratch (fraud train --from-scratch)": fraud_model(),
        "  same, booster output before calibration": fraud_model_raw(),
        "  no calibration hold-out (trees see every row)": fraud_model(calibration_fraction=0.0),
        "FraudModel continued from the bundled model (fraud train)": fraud_model(
            base_model=base.path),
        "sklearn HGB on the bundled model's encoding": hgb,
    }


def judge(scores: np.ndarray, truth: pd.Series) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    y = truth.to_numpy().astype(int)
    out = {f"caught@{r:.0%}": at_review_rate(y, scores, r)["recall"] * y.sum()
           for r in REVIEW_RATES}
    out["fraud"] = float(y.sum())
    out["auc"] = float(roc_auc_score(y, scores))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--judged-shops", type=int, default=3)
    p.add_argument("--test-orders", type=int, default=8000)
    p.add_argument("--test-shop-seed", type=int, default=900)
    p.add_argument("--test-seed", type=int, default=901)
    p.add_argument("--only", default="", help="run the variants whose name holds this text")
    p.add_argument("--cache", type=Path, default=ROOT / "var" / "bench-own-model")
    args = p.parse_args(argv)
    from fraud.batch import batch_model

    base, _ = batch_model(get_settings())
    shops = [shop_inputs(i, args) for i in range(args.judged_shops)]
    results: dict[str, list[dict[str, float]]] = {}
    for name, fit in variants(base).items():
        if args.only and args.only not in name and name != "bundled model (not retrained)":
            continue
        for inputs in shops:
            ds, split = inputs["dataset"], inputs["split"]
            train_mask, _ = split.masks(ds.created_at)
            rows, weights = fitting_rows(ds, split, train_mask, True)
            later = (inputs["created_at"] >= pd.Timestamp(inputs["cutoff"])).to_numpy()
            judged = inputs["features"].loc[later, list(ds.feature_names)]
            truth = inputs["truth"].loc[judged.index, "is_fraud"]
            scores = fit(ds.X(rows), ds.label[rows].fillna(0.0).to_numpy().astype(int),
                         weights[rows].to_numpy(), judged, inputs)
            results.setdefault(name, []).append(judge(scores, truth))
        m = results[name]
        fraud = sum(r["fraud"] for r in m)
        say(f"{name:55s} recall @2 % {sum(r['caught@2%'] for r in m) / fraud:6.1%}  "
            f"@5 % {sum(r['caught@5%'] for r in m) / fraud:6.1%}  ROC-AUC (median) "
            f"{statistics.median(r['auc'] for r in m):.3f}  ({fraud:.0f} frauds, "
            f"{len(m)} shops)")


if __name__ == "__main__":
    main()

"""Single-order model cost: the served path vs LightGBM's Booster.predict vs
scikit-learn's predict_proba (LGBMClassifier), on the same trees and rows.

    .venv/bin/python bench/bench_model.py [MODEL_DIR]

Without MODEL_DIR a model is trained on simulated orders (as the tests do).
Prints µs per order and ratios; run by hand, nothing is asserted.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "model"))


def per_call_us(fn, rows, repeat: int = 3) -> float:  # noqa: ANN001
    """Best of ``repeat`` passes over ``rows``, in µs per call."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for row in rows:
            fn(row)
        best = min(best, (time.perf_counter() - start) / len(rows))
    return best * 1e6


def main() -> None:
    import lightgbm
    from tinymodel import simulated_sample, write_model

    from fraud.model.serving import ServedModel

    sample = simulated_sample(1500, seed=5, days=30)
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
    else:
        folder = write_model(Path(tempfile.mkdtemp()), sample, version="bench", rounds=200)
    model = ServedModel.load(folder)
    frame = sample.frame
    rows = [
        {k: (None if v != v else v) for k, v in r.items()}
        for r in frame.astype(object).to_dict("records")
    ]
    matrix = model.encode_frame(frame)
    booster = model.booster
    clf = lightgbm.LGBMClassifier(n_estimators=booster.num_trees(), verbose=-1)
    clf.fit(matrix[:50], (np.arange(50) % 2))  # then swap in the same trees
    clf._Booster = booster  # noqa: SLF001 - same trees, sklearn's predict_proba path

    p = np.array([model.predict_one(r)[0] for r in rows])
    explained = sum(1 for x in p if 100 * x >= model.min_points)
    singles = [m.reshape(1, -1) for m in matrix]
    # the same model as it serves when LightGBM's single-row C path cannot start
    fallback = ServedModel(model.version, booster, model.encodings, model.calibration)
    fallback._fast = fallback._contrib = None  # noqa: SLF001 - force the public predictor
    figures = {
        "encode_one (dict -> row)": per_call_us(model.encode_one, rows),
        "served raw_one (C single-row)": per_call_us(model.raw_one, list(matrix)),
        "served predict_one (encode+predict+calibrate+reasons)": per_call_us(
            model.predict_one, rows
        ),
        "served contributions_one (TreeSHAP)": per_call_us(model.contributions_one, list(matrix)),
        "fallback predict_one (Booster.predict, pred_contrib)": per_call_us(
            fallback.predict_one, rows[:300]
        ),
        "Booster.predict one row": per_call_us(
            lambda r: booster.predict(r, num_threads=1), singles
        ),
        "Booster.predict pred_contrib one row": per_call_us(
            lambda r: booster.predict(r, pred_contrib=True, num_threads=1), singles[:300]
        ),
        "sklearn LGBMClassifier.predict_proba one row": per_call_us(
            clf.predict_proba, singles[:300]
        ),
    }
    print(
        f"model {model.version}: {booster.num_trees()} trees, {len(model.feature_names)} "
        f"features; {len(rows)} orders, {explained} above {model.min_points} point (explained)"
    )
    base = figures["served raw_one (C single-row)"]
    for name, us in figures.items():
        print(f"{name:58s} {us:9.1f} µs  {us / base:7.1f}x")
    start = time.perf_counter()
    model.predict_frame(frame)
    print(
        f"{'predict_frame (batch, per order)':58s} "
        f"{(time.perf_counter() - start) / len(frame) * 1e6:9.1f} µs"
    )


if __name__ == "__main__":
    main()

"""A tiny model version for the serving tests, written by fraud.model.artifact.

Built by hand (LightGBM on a few hundred simulated orders' features, a hand-made
target encoding and isotonic calibration) so the serving side is tested without
waiting for, or depending on, the training code. The reference encoder and
reader below restate the format the plain way, as an independent check on
fraud.model.artifact and fraud.model.serving.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from fraud.features import build_frame
from fraud.history import MemoryHistory
from fraud.model.artifact import model_feature_kinds, write_card
from fraud.model.artifact import write_model as write_model_files
from fraud.schema import Order, parse_order

FRAUD_RATES = {
    "stolen_card": 0.06,
    "account_takeover": 0.03,
    "card_testing": 0.03,
    "reshipper": 0.02,
    "fraud_ring": 0.02,
}


@dataclass(frozen=True)
class Sample:
    orders: list[Order]
    outcomes: list[tuple[str, str, datetime]]
    frame: pd.DataFrame
    labels: np.ndarray


def simulated_sample(n: int = 500, seed: int = 11, days: int = 20) -> Sample:
    """Simulated orders with a high fraud rate, their outcomes and batch features."""
    from fraud.batch import batch_context
    from fraud.settings import get_settings
    from fraud.simulate import simulate

    sim = simulate(n, days=days, seed=seed, rates=FRAUD_RATES)
    orders = [parse_order(o) for o in sim.orders()]
    outcomes = [
        (r.order_id, r.outcome, datetime.fromisoformat(r.at)) for r in sim.outcomes.itertuples()
    ]
    history = MemoryHistory.from_orders(orders, outcomes)
    frame = build_frame(orders, batch_context(get_settings(), history))
    truth = sim.truth().set_index("order_id")["is_fraud"]
    return Sample(orders, outcomes, frame, truth.loc[frame.index].to_numpy().astype(int))


def encode_reference(frame: pd.DataFrame, encodings: list[dict]) -> np.ndarray:
    """The format's encoding written the plain way (independent of fraud.model.artifact)."""
    cols = []
    for e in encodings:
        out = []
        for v in frame[e["name"]].tolist():
            if v is None or (isinstance(v, float) and math.isnan(v)):
                out.append(math.nan)
            elif e["encoding"] == "float":
                out.append(float(v))
            elif e["encoding"] == "bool01":
                out.append(1.0 if v else 0.0)
            else:
                d = e["default"]
                out.append(e["mapping"].get(str(v), math.nan if d is None else d))
        cols.append(out)
    return np.array(cols, dtype=np.float64).T


def target_encodings(frame: pd.DataFrame, labels: np.ndarray) -> list[dict]:
    """Hand-made encodings: num as float, bool as 0/1, cat as smoothed fraud rate."""
    kinds = model_feature_kinds()
    prior = float(labels.mean())
    out = []
    for name, kind in kinds.items():
        if kind == "cat":
            col = frame[name]
            stats = (
                pd.DataFrame({"v": col, "y": labels})[col.notna()]
                .groupby("v")["y"]
                .agg(["sum", "count"])
            )
            mapping = {str(k): float((s + 5 * prior) / (c + 5)) for k, (s, c) in stats.iterrows()}
            out.append(
                {
                    "name": name,
                    "kind": kind,
                    "encoding": "target",
                    "mapping": mapping,
                    "default": prior,
                }
            )
        else:
            out.append(
                {"name": name, "kind": kind, "encoding": "bool01" if kind == "bool" else "float"}
            )
    return out


def write_model(
    folder: Path,
    sample: Sample,
    *,
    version: str,
    raw: str = "probability",
    rounds: int = 40,
    seed: int = 1,
    created_at: str = "2026-11-25T12:00:00+00:00",
) -> Path:
    """Train a tiny LightGBM on ``sample`` and write a model version folder."""
    import lightgbm
    from sklearn.isotonic import IsotonicRegression

    encodings = target_encodings(sample.frame, sample.labels)
    matrix = encode_reference(sample.frame, encodings)
    names = [e["name"] for e in encodings]
    booster = lightgbm.train(
        {
            "objective": "binary",
            "num_leaves": 7,
            "min_data_in_leaf": 5,
            "learning_rate": 0.1,
            "verbose": -1,
            "num_threads": 1,
            "seed": seed,
            "deterministic": True,
        },
        lightgbm.Dataset(matrix, sample.labels, feature_name=names),
        num_boost_round=rounds,
    )
    raw_scores = booster.predict(matrix, raw_score=raw == "margin")
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(raw_scores, sample.labels)
    folder = folder / version
    folder.mkdir(parents=True)
    write_model_files(
        folder,
        booster,
        encodings,
        {"method": "isotonic", "x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist(),
         "raw": raw},
    )
    write_card(
        folder,
        {
            "version": version,
            "created_at": created_at,
            "metrics": {"roc_auc": 0.9, "pr_auc": 0.5},
            "rows": len(sample.labels),
        },
    )
    return folder


def reference_probabilities(folder: Path, frame: pd.DataFrame) -> np.ndarray:
    """booster.predict + numpy.interp, computed the straightforward way from the files."""
    import lightgbm

    enc = json.loads((folder / "encoding.json").read_text())
    cal = json.loads((folder / "calibration.json").read_text())
    booster = lightgbm.Booster(model_file=str(folder / "model.txt"))
    raw = booster.predict(
        encode_reference(frame, enc["features"]), raw_score=cal["raw"] == "margin"
    )
    return np.interp(raw, cal["x"], cal["y"])


@functools.cache
def shared_sample() -> Sample:
    """One simulated sample per test session (features take seconds to build)."""
    return simulated_sample()

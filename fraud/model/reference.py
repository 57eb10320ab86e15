"""A model's drift reference: the profile of its training rows, kept beside the model.

``<version>/drift.json`` holds a :class:`fraud.model.drift.Profile` of the most recent
orders the model learnt from (features and the model's own scores): the last
:data:`REFERENCE_DAYS` days of them (the training weeks and, when training also learns
from the young-label orders after the validation window, those), or all of them when
those days hold fewer than
:data:`REFERENCE_MIN_ORDERS` orders (:func:`reference_mask`). A reference taken from the
start of a young store would make account-history features (prior orders, account age)
drift by construction: its customers were new then and have built up history since.
Training writes it; model
versions from before it existed have none and still load: a drift check then falls back
to the stored orders of the model card's training window (:mod:`fraud.monitoring.drift_check`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fraud.errors import ModelError
from fraud.model.artifact import read_json, write_json
from fraud.model.drift import Profile, profile_of

if TYPE_CHECKING:
    import pandas as pd

DRIFT_FILE = "drift.json"
REFERENCE_DAYS = 30.0
"""The drift reference is the training rows of this many days before the last one."""
REFERENCE_MIN_ORDERS = 300
"""Fewer training orders than this in those days: the reference is every training row
(deciles of a few hundred rows are still steady; the drift check wants 100 recent orders)."""


def write_reference(folder: str | Path, profile: Profile) -> Path:
    return write_json(profile.to_json(), Path(folder) / DRIFT_FILE)


def read_reference(folder: str | Path) -> Profile | None:
    """The model's training profile, or ``None`` for a model saved without one."""
    path = Path(folder) / DRIFT_FILE
    if not path.exists():
        return None
    try:
        return Profile.from_json(read_json(path))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: not a drift profile ({exc})") from None


def training_profile(frame: pd.DataFrame, kinds: Mapping[str, str], scores: Any,
                     source: str = "training rows") -> Profile:
    """The profile of the training rows ``frame`` and the model's ``scores`` on them."""
    columns = {name: frame[name].tolist() for name in frame.columns if name in kinds}
    return profile_of(columns, kinds, [float(s) for s in scores], source=source)


def reference_mask(created_at: pd.Series, train_mask: np.ndarray, *,
                   days: float = REFERENCE_DAYS,
                   min_orders: int = REFERENCE_MIN_ORDERS) -> tuple[np.ndarray, dict[str, Any]]:
    """The training rows the drift reference is taken from, and a description of them.

    The last ``days`` days of the training rows (up to the latest of them), so that the
    reference is the traffic the model last saw; every training row when that window holds
    fewer than ``min_orders`` orders.
    """
    import pandas as pd

    train = np.asarray(train_mask, dtype=bool)
    times = pd.to_datetime(created_at, utc=True)
    described: dict[str, Any] = {"days": days, "min_orders": min_orders}
    if train.any():
        start = times[train].max() - pd.Timedelta(days=days)
        recent = train & np.asarray(times >= start, dtype=bool)
        if int(recent.sum()) >= min_orders:
            rows, window = recent, f"the last {days:g} days of the training rows"
        else:
            rows, window = train, (f"all training rows (the last {days:g} days held "
                                   f"{int(recent.sum())} orders, fewer than {min_orders})")
    else:
        rows, window = train, "no training rows"
    chosen = times[rows]
    described.update(window=window, orders=int(rows.sum()),
                     first=chosen.min().isoformat() if len(chosen) else None,
                     last=chosen.max().isoformat() if len(chosen) else None)
    return rows, described

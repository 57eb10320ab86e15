"""A model's drift reference: the profile of its training rows, kept beside the model.

``<version>/drift.json`` holds a :class:`fraud.model.drift.Profile` of the rows the
model was trained on (features and the model's own scores). Training writes it; model
versions from before it existed have none and still load: a drift check then falls back
to the stored orders of the model card's training window (:mod:`fraud.monitoring.drift_check`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fraud.errors import ModelError
from fraud.model.artifact import read_json, write_json
from fraud.model.drift import Profile, profile_of

if TYPE_CHECKING:
    import pandas as pd

DRIFT_FILE = "drift.json"


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


def training_profile(frame: pd.DataFrame, kinds: Mapping[str, str], scores: Any) -> Profile:
    """The profile of the training rows ``frame`` and the model's ``scores`` on them."""
    columns = {name: frame[name].tolist() for name in frame.columns if name in kinds}
    return profile_of(columns, kinds, [float(s) for s in scores], source="training rows")

"""A replay kept on disk, reused while its inputs and the feature code are unchanged."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

from fraud.model.scorer import RULES_ONLY
from fraud.replay.replay import Replay
from fraud.settings import Settings

log = logging.getLogger(__name__)

# Code whose change changes features: a cached replay made before such a change is stale.
_FEATURE_CODE = (
    "features.py", "history.py", "keys.py", "geo.py", "places.py", "places_store.py",
    "scoring.py", "signals", "events",
)


def replay_fingerprint(
    inputs: Iterable[str | Path], settings: Settings, model_version: str = RULES_ONLY
) -> str:
    """SHA-256 over the input files, the feature code, the settings features read
    and the model version whose probabilities the replay holds.

    Two replays with the same fingerprint have the same features, so a cached
    one can stand in for computing them again.
    """
    import hashlib

    import fraud

    digest = hashlib.sha256(f"{fraud.__version__}\n{model_version}\n".encode())
    for path in inputs:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    root = Path(fraud.__file__).parent
    for name in _FEATURE_CODE:
        sources = sorted((root / name).rglob("*.py")) if (root / name).is_dir() else [root / name]
        for source in sources:
            digest.update(source.read_bytes())
    relevant = settings.model_dump(mode="json", include={
        "geoip_city_path", "geoip_asn_path", "geoip_anonymous_path", "forwarders_path",
        "fx_rates"})
    digest.update(json.dumps(relevant, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def save_replay(replay: Replay, path: str | Path, fingerprint: str) -> None:
    """Keep a replay on disk (pickle: load only files you wrote yourself)."""
    import pickle

    Path(path).write_bytes(pickle.dumps((fingerprint, replay), protocol=5))


def load_replay(path: str | Path, fingerprint: str) -> Replay | None:
    """The replay saved at ``path`` if it was made from the same inputs and code, else ``None``."""
    import pickle

    path = Path(path)
    if not path.exists():
        return None
    try:
        saved, replay = pickle.loads(path.read_bytes())  # noqa: S301 - the user's own file
    except Exception:  # unreadable or from an older layout: compute again
        log.warning("ignoring unreadable replay cache %s", path)
        return None
    return replay if saved == fingerprint and isinstance(replay, Replay) else None

"""Data and settings for a notebook: the bundled sample (or a simulated one), the
repository's default model, and live traffic sent through a running service."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fraud.domain import Outcome

if TYPE_CHECKING:

    from fraud.runtime import Runtime
    from fraud.schema import Order
    from fraud.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ORDERS_COUNT = 20_000
"""Orders in the bundled sample (``data/sample_*.gz``)."""



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
    from fraud.replay import read_order_file

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

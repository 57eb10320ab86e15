"""The folder where several server processes put their metrics, made ready before they start.

prometheus-client's multiprocess mode keeps each process's values in files under the
folder ``PROMETHEUS_MULTIPROC_DIR`` names; it must be set before any worker imports the
client, and emptied first: files left by an earlier run would be added to this one's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_dir(configured: Path | None, workers: int) -> Path | None:
    """The folder the workers share (created and emptied), or ``None`` for one process.

    ``configured`` is ``FRAUD_METRICS_DIR``; without it, several workers get a new
    temporary folder.
    """
    if configured is None and workers <= 1:
        return None
    folder = configured or Path(tempfile.mkdtemp(prefix="fraud-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):  # only prometheus-client's files: nothing else is ours
        stale.unlink()
    return folder

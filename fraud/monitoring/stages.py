"""Timing the pipeline's stages for whoever is watching, at no cost when nobody is.

The pipeline marks its stages with ``with timed("model"): ...``. A process has at
most one :class:`StageObserver` (the API installs one that feeds Prometheus, whose
collectors are per process anyway); without one, ``timed`` hands back a shared
do-nothing context manager, so the library, the CLI and notebooks pay one global
look-up per stage.

Stages, in pipeline order (docs/operations.md, "Metrics"):

* ``validation``: reading, parsing and validating the request (the API measures it);
* ``signals``: every signal of an order, the history look-up included;
* ``history``: the history look-up alone (the signal's store queries);
* ``model``: the model's probability and reasons;
* ``rules``: the rules and combining points into a decision;
* ``store_write``: writing the order, its keys and its decision.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from time import perf_counter
from types import TracebackType
from typing import Protocol

STAGES = ("validation", "signals", "history", "model", "rules", "store_write")


class StageObserver(Protocol):
    """Told how long each stage of each order took."""

    def stage_finished(self, stage: str, seconds: float) -> None: ...


_observer: StageObserver | None = None
_NOTHING: AbstractContextManager[None] = nullcontext()


def set_stage_observer(observer: StageObserver | None) -> StageObserver | None:
    """Install ``observer`` for this process (``None`` removes it); returns the previous one."""
    global _observer
    previous, _observer = _observer, observer
    return previous


def stage_observer() -> StageObserver | None:
    return _observer


class _Timer:
    __slots__ = ("observer", "stage", "started")

    def __init__(self, stage: str, observer: StageObserver) -> None:
        self.stage, self.observer = stage, observer
        self.started = 0.0

    def __enter__(self) -> None:
        self.started = perf_counter()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # a stage that raised is timed too: a slow failure is still slow
        self.observer.stage_finished(self.stage, perf_counter() - self.started)


def timed(stage: str) -> AbstractContextManager[None]:
    """A context manager that reports the time its block took as ``stage``."""
    observer = _observer
    return _NOTHING if observer is None else _Timer(stage, observer)


def report(stage: str, seconds: float) -> None:
    """Report a stage timed elsewhere (the API times request validation itself)."""
    observer = _observer
    if observer is not None:
        observer.stage_finished(stage, seconds)

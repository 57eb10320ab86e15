"""Drift of the stored recent orders against a model's reference, and the service's watch.

:func:`check_drift` reads decided orders from the store and compares them with the
model's reference profile (:mod:`fraud.model.reference`): its training rows when the
model was saved with them, else the stored orders of its card's training window, or any
window the caller names. ``fraud models drift`` prints it; :class:`DriftWatch` runs it in
a background thread every ``FRAUD_DRIFT_CHECK_SECONDS`` so ``/readyz`` can say whether the
model is drifting without any request paying for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fraud.errors import FraudError
from fraud.model.artifact import model_feature_kinds
from fraud.model.drift import SCORE, DriftReport, Profile, compare, profile_of
from fraud.model.reference import read_reference
from fraud.model.serving import ServedModel
from fraud.settings import Settings
from fraud.store.decided import Decided, decided_between

log = logging.getLogger(__name__)

MIN_ORDERS = 100
"""Fewer orders than this in a window say too little to call drift."""
MAX_ORDERS = 50_000
"""At most this many of the newest orders of a window are read."""


class DriftUnavailable(FraudError):
    """Drift cannot be judged: no reference, or too few orders."""

    code = "drift_unavailable"
    status = 409


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime

    def __str__(self) -> str:
        return f"{self.since.isoformat()} to {self.until.isoformat()}"


def recent_window(now: datetime, days: float) -> Window:
    return Window(now - timedelta(days=days), now)


def _columns(rows: Sequence[Decided], names: Sequence[str]) -> dict[str, list[Any]]:
    return {name: [r.features.get(name) for r in rows] for name in names}


def _scores(model: ServedModel | None, rows: Sequence[Decided]) -> list[float] | None:
    """The model's probability for each row, from the features stored with it."""
    if model is None or not rows:
        return None
    import pandas as pd

    frame = pd.DataFrame([{n: r.features.get(n) for n in model.feature_names} for r in rows])
    return [float(p) for p in model.predict_frame(frame)]


def _card_window(model: ServedModel) -> Window | None:
    window = model.card.get("training_window") if model.card else None
    if not isinstance(window, dict):
        return None
    try:
        first = datetime.fromisoformat(window["first"])
        last = datetime.fromisoformat(window["last"])
    except (KeyError, TypeError, ValueError):
        return None
    return Window(first, last + timedelta(seconds=1))


def _read(session: Session, window: Window, what: str) -> list[Decided]:
    rows = list(decided_between(session, window.since, window.until, limit=MAX_ORDERS))
    if len(rows) < MIN_ORDERS:
        raise DriftUnavailable(
            f"{len(rows)} stored orders in the {what} window ({window}); at least "
            f"{MIN_ORDERS} are needed to judge drift"
        )
    return rows


def reference_profile(
    session: Session, model: ServedModel | None, kinds: dict[str, str],
    window: Window | None = None,
) -> Profile:
    """The profile to compare with: a named window of stored orders, else the model's
    saved training profile, else the stored orders of its card's training window."""
    if window is None and model is not None and model.path is not None:
        saved = read_reference(model.path)
        if saved is not None:
            return saved
        window = _card_window(model)
    if window is None:
        raise DriftUnavailable(
            "no reference: the model has no drift.json (saved before drift checks) and no "
            "training window in its card, or no model is in use; name a reference window "
            "(--reference-since/--reference-until)"
        )
    rows = _read(session, window, "reference")
    return profile_of(_columns(rows, list(kinds)), kinds, _scores(model, rows),
                      source=f"stored orders {window}")


def check_drift(
    session: Session,
    model: ServedModel | None,
    kinds: dict[str, str],
    *,
    recent: Window,
    threshold: float,
    reference: Window | None = None,
) -> DriftReport:
    """PSI of every feature in ``kinds`` and of the model's score, recent vs reference."""
    profile = reference_profile(session, model, kinds, reference)
    rows = _read(session, recent, "recent")
    has_score = any(b.name == SCORE for b in profile.binnings)
    names = [b.name for b in profile.binnings if b.name != SCORE]
    scores = _scores(model, rows) if has_score else None
    return compare(profile, _columns(rows, names), scores, threshold=threshold)


def check_recent_drift(
    session: Session, model: object, settings: Settings, now: datetime | None = None
) -> DriftReport:
    """What the service reports: ``model`` (when it is a loaded model version) over the last
    ``FRAUD_DRIFT_DAYS`` of stored orders, against ``FRAUD_DRIFT_THRESHOLD``."""
    return check_drift(
        session,
        model if isinstance(model, ServedModel) else None,
        model_feature_kinds(),
        recent=recent_window(now or datetime.now(UTC), settings.drift_days),
        threshold=settings.drift_threshold,
    )


class DriftWatch:
    """Checks drift every ``every_seconds`` in a thread; :meth:`status` is what ``/readyz``
    shows. A check that fails is logged and shown, never raised into a request."""

    def __init__(self, check: Callable[[], DriftReport], every_seconds: float) -> None:
        self._check = check
        self.every_seconds = every_seconds
        self._status = "not checked yet"
        self._stop = threading.Event()
        self.checked_at: datetime | None = None
        # the report behind the status: the dashboard's drift panel shows this one, so
        # the panel and /readyz always tell the same verdict
        self.report: DriftReport | None = None

    def run_once(self) -> str:
        try:
            report = self._check()
        except DriftUnavailable as exc:
            self.report, self._status = None, f"unknown: {exc.message}"
        except Exception as exc:  # a check must never take the service down
            log.warning("drift check failed: %s", type(exc).__name__)
            self.report = None
            self._status = f"unknown: the check failed ({type(exc).__name__})"
        else:
            self.report, self._status = report, report.summary()
        self.checked_at = datetime.now(UTC)
        if self._status.startswith("drifting"):
            log.warning("model %s", self._status)
        return self._status

    def status(self) -> str:
        return self._status

    def start(self) -> threading.Thread:
        def run() -> None:
            while True:
                self.run_once()
                if self._stop.wait(self.every_seconds):
                    return

        thread = threading.Thread(target=run, name="drift-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

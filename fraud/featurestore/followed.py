"""The in-memory feature store kept in step with the store it serves.

One mechanism keeps it current: the store's feed (:mod:`fraud.store.feed`, decisions
and outcomes by their growing ids). At start :meth:`FollowedHistory.rebuild` reads the
feed from the beginning in batches (a thread; until it is done look-ups go to the
store). Then every look-up first applies what was committed since the previous one, on
the scoring connection: nothing new costs one indexed range read per table. So an order
sees every order and outcome committed before its look-up, whoever wrote them (this
process, another worker, a reviewer, ``fraud`` commands): the same consistency as
reading the store with :class:`~fraud.store.history.SqlHistory`, which is also what a
look-up falls back to when memory cannot answer exactly (see
:meth:`~fraud.featurestore.memory.BoundedMemoryHistory.lookup_exact`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fraud.domain import Outcome
from fraud.featurestore.memory import BoundedMemoryHistory
from fraud.history import HistorySnapshot
from fraud.keys import OrderKeys
from fraud.links import HORIZON
from fraud.store.feed import FeedPosition, orders_after, outcomes_after
from fraud.store.history import SqlHistory
from fraud.store.statements import RawConnection, raw_connection

log = logging.getLogger(__name__)

BATCH = 5000
"""Rows per read while rebuilding; the lock is held for one batch at a time."""

SWEEP_SECONDS = 600.0
"""How often linking-key entries past the horizon are forgotten (in a thread)."""
SWEEP_MARGIN = timedelta(days=1)
"""Kept beyond the horizon: an order up to a day older than the latest is still answered
from memory."""


class FollowedHistory:
    """A bounded in-memory history following the store's feed (one per process)."""

    def __init__(self, fx_rates: Mapping[str, Decimal] | None = None) -> None:
        self.memory = BoundedMemoryHistory(fx_rates)
        self._orders = FeedPosition()
        self._outcomes = FeedPosition()
        self._sync = threading.Lock()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._sweeping = threading.Lock()
        self._swept_at = time.monotonic()
        self.rebuild_seconds: float | None = None

    def stop(self) -> None:
        """Stop a rebuild in progress (the service is closing)."""
        self._stop.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def rebuild(
        self, engine: Any, progress: Callable[[int], None] | None = None
    ) -> int:
        """Read the whole feed (bounded per key as it goes), then answer look-ups.
        Returns the number of orders read."""
        start = time.perf_counter()
        total = 0
        with raw_connection(engine) as conn:
            while True:
                with self._sync:
                    n = self._apply(conn, BATCH)
                conn.rollback()  # end each batch's read: the SQLite WAL can move on
                total += n
                if progress is not None:
                    progress(total)
                if n < BATCH:
                    break
                if self._stop.is_set():
                    return total
        self.sweep()
        self.rebuild_seconds = time.perf_counter() - start
        self._ready.set()
        log.info("history feature store rebuilt from %d orders in %.1f s (%s)",
                 total, self.rebuild_seconds, self.memory.stats())
        return total

    def rebuild_in_background(self, engine: Any) -> threading.Thread:
        def run() -> None:
            try:
                self.rebuild(engine)
            except Exception:  # look-ups keep going to the store
                if not self._stop.is_set():  # not merely the store closed under it
                    log.exception("history feature store not rebuilt; history is read from "
                                  "the store")

        thread = threading.Thread(target=run, name="featurestore-rebuild", daemon=True)
        thread.start()
        return thread

    def sweep(self) -> int:
        """Forget linking-key entries a horizon (and a day) before the latest order."""
        newest = self.memory.newest
        if newest is None or not self._sweeping.acquire(blocking=False):
            return 0
        try:
            self._swept_at = time.monotonic()
            return self.memory.forget_before(newest - HORIZON - SWEEP_MARGIN)
        finally:
            self._sweeping.release()

    def sweep_if_due(self) -> None:
        """Start a sweep in a thread every :data:`SWEEP_SECONDS`; never on the caller's time."""
        if time.monotonic() - self._swept_at > SWEEP_SECONDS and not self._sweeping.locked():
            self._swept_at = time.monotonic()
            threading.Thread(target=self.sweep, name="featurestore-sweep", daemon=True).start()

    def catch_up(self, conn: RawConnection) -> int:
        """Apply what the store committed since the last call; returns orders read."""
        with self._sync:
            total = 0
            while True:
                n = self._apply(conn, BATCH)
                total += n
                if n < BATCH:
                    return total

    def _apply(self, conn: RawConnection, limit: int) -> int:
        """One batch of orders, then the outcomes recorded so far. An outcome of an order
        not read yet (committed after the orders were read) is kept until the orders are
        read again; one of an order no key keeps any more is not needed."""
        memory = self.memory
        found = orders_after(conn, self._orders, limit)
        with memory.lock:
            for past in found:
                memory.add_past(past)
        if len(found) == limit:
            return len(found)  # outcomes after the last batch of orders
        pending: list[tuple[str, Outcome, datetime]] = []
        while True:
            events = outcomes_after(conn, self._outcomes, BATCH)
            with memory.lock:
                for order_id, outcome, at in events:
                    if memory.add_outcome_if_known(order_id, outcome, at) is None:
                        pending.append((order_id, outcome, at))
            if len(events) < BATCH:
                break
        if pending:
            late = orders_after(conn, self._orders, len(pending) + BATCH)
            with memory.lock:
                for past in late:
                    memory.add_past(past)
                for event in pending:
                    memory.add_outcome_if_known(*event)
            found += late
        return len(found)

    def view(self, conn: RawConnection) -> FollowedView:
        """The history view one scored order uses: memory, caught up on ``conn``."""
        return FollowedView(self, conn)


class FollowedView:
    """A :class:`~fraud.history.HistoryView`: memory when it can answer exactly, else
    the store on the same connection."""

    def __init__(self, followed: FollowedHistory, conn: RawConnection) -> None:
        self._followed = followed
        self._conn = conn
        self.answered_from = ""  # "memory" or "store", for tests and benchmarks

    def lookup(self, keys: OrderKeys, before: datetime, since: datetime) -> HistorySnapshot:
        followed = self._followed
        if followed.ready:
            with self._conn.savepoint("feature_feed"):
                followed.catch_up(self._conn)
            followed.sweep_if_due()
            found = followed.memory.lookup_exact(keys, before, since)
            if found is not None:
                self.answered_from = "memory"
                return found
        self.answered_from = "store"
        return SqlHistory(self._conn).lookup(keys, before, since)

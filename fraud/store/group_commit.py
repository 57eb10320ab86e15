"""Group commit: one writer thread stores the decisions of many requests per commit.

Each scored order is handed to the writer with what :func:`save_decision` needs; the
request then waits until the transaction holding its rows has committed, and only
then gets its answer, so "a decision is never returned before it is durably stored"
holds exactly as with one commit per request. What changes is who commits: the
writer takes every decision waiting at the moment it is free (no timer: a lone order
is written at once), writes them in one transaction and commits once.

Why: with one transaction per request, concurrent requests of one process queue for
the store's one writer lock (SQLite's busy handler sleeps between tries, up to tens of
milliseconds; PostgreSQL's evidence-chain head row is locked until commit), and each
pays a commit (a WAL flush on PostgreSQL). One writer never waits for itself, and a
busy second pays one commit per batch instead of one per order.

Each order's rows and its evidence record stay in one transaction (the batch's). A
batch that fails for one of its orders (an order id stored meanwhile by another
process, a faulty order) is rolled back and its orders are then written one by one
through :func:`save_decision`, so idempotency and conflicts are settled exactly as
before and one bad order never fails the others. A batch that fails for the store
itself (locked past the timeout, gone, full) fails every order in it at once. An
order id twice in one batch is written once; the copy then goes through
:func:`save_decision` after the commit, which answers it as a retry (the stored
decision) or a conflict.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from fraud.domain import Decision, FeatureValue
from fraud.errors import StoreUnavailable
from fraud.schema import Order
from fraud.store.failures import classify
from fraud.store.repository import StoredDecision, save_decision, write_decision
from fraud.store.statements import RawConnection, raw_connection

log = logging.getLogger(__name__)

# More decisions than this wait for the next commit: bounds a transaction's length.
MAX_BATCH = 256


def group_commits(mode: str, engine: Engine) -> bool:
    """Whether ``FRAUD_WRITE_MODE`` asks for the writer on this store. ``auto``: on SQLite
    only. There it doubled the stored decisions per second of 8 and 32 concurrent
    writers and cut their p99 from 140-860 ms (the busy handler's sleeps) to 23-45 ms.
    On PostgreSQL one writer's statements run one after another, one round trip each,
    while separate connections overlap theirs: group commit stored 20-25 % fewer
    (``bench/bench_write_mode.py``, docs/performance.md)."""
    return mode == "group" or (mode == "auto" and engine.dialect.name == "sqlite")


@dataclass
class _Pending:
    order: Order
    decision: Decision
    features: Mapping[str, FeatureValue]
    sources: Mapping[str, Any] | None
    done: Future[StoredDecision] = field(default_factory=Future)


class GroupCommitWriter:
    """The process's one decision writer (``FRAUD_WRITE_MODE=group``).

    ``guard`` wraps every connection the writer holds (the service passes its
    connection watchdog, so a frozen store cuts the writer's connection as it would a
    request's); ``wait_seconds`` bounds how long :meth:`save` waits for its commit.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        fx_rates: Mapping[str, Decimal] | None = None,
        guard: Callable[[], AbstractContextManager[Any]] = nullcontext,
        wait_seconds: float = 30.0,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._engine = engine
        self._fx_rates = fx_rates
        self._guard = guard
        self._wait_seconds = wait_seconds
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="decision-writer", daemon=True)
        self._closed = False
        self.batches = 0  # commits made, and decisions in them: for tests and the bench
        self.written = 0
        self._thread.start()

    @classmethod
    def for_mode(cls, mode: str, engine: Engine, fx_rates: Mapping[str, Decimal] | None,
                 guard: Callable[[], AbstractContextManager[Any]],
                 wait_seconds: float) -> GroupCommitWriter | None:
        """The writer ``FRAUD_WRITE_MODE`` asks for on this store, or ``None`` (direct)."""
        if not group_commits(mode, engine):
            return None
        return cls(engine, fx_rates=fx_rates, guard=guard, wait_seconds=wait_seconds)

    def save(
        self,
        order: Order,
        decision: Decision,
        features: Mapping[str, FeatureValue],
        *,
        sources: Mapping[str, Any] | None = None,
    ) -> StoredDecision:
        """Store like :func:`save_decision` and return once the rows are committed.

        Raises what storing raised (a store fault, :class:`~fraud.errors.Conflict`);
        :class:`~fraud.errors.StoreUnavailable` when no commit came in time.
        """
        if self._closed:
            raise StoreUnavailable("the decision writer is stopped")
        pending = _Pending(order, decision, features, sources)
        self._queue.put(pending)
        try:
            return pending.done.result(timeout=self._wait_seconds)
        except FutureTimeout:
            raise StoreUnavailable("the store is unavailable; retry later",
                                   detail="the write was not confirmed in time") from None

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=self._wait_seconds)

    # --- the writer thread ------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [] if first is None else [first]
            stop = first is None
            while not stop and len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                else:
                    batch.append(more)
            if batch:
                self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Pending]) -> None:
        try:
            with self._guard(), raw_connection(self._engine) as raw:
                copies = self._write_batch(raw, batch)
                for pending in copies:
                    self._write_one(raw, pending)
        except BaseException as exc:  # the connection itself failed: every waiter hears it
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(exc)

    def _write_batch(self, raw: RawConnection, batch: list[_Pending]) -> list[_Pending]:
        """Write the batch in one transaction; return the copies of an order id already in
        it, to be written after the commit. On failure, write each order on its own."""
        firsts: dict[str, _Pending] = {}
        copies: list[_Pending] = []
        for pending in batch:
            if pending.order.order_id in firsts:
                copies.append(pending)
            else:
                firsts[pending.order.order_id] = pending
        try:
            stored = [
                (p, write_decision(raw, p.order, p.decision, p.features,
                                   fx_rates=self._fx_rates, sources=p.sources))
                for p in firsts.values()
            ]
            raw.commit()
        except Exception as exc:
            raw.rollback()
            if classify(exc) is not None:  # the store itself (locked, gone, full): all fail
                for pending in batch:     # now, rather than each waiting for it again
                    pending.done.set_exception(exc)
                return []
            log.debug("batch of %d rolled back (%s): writing one by one",
                      len(firsts), type(exc).__name__)
            for pending in firsts.values():
                self._write_one(raw, pending)
            return copies
        self.batches += 1
        self.written += len(stored)
        for pending, result in stored:
            pending.done.set_result(result)
        return copies

    def _write_one(self, raw: RawConnection, pending: _Pending) -> None:
        try:
            result = save_decision(raw, pending.order, pending.decision, pending.features,
                                   fx_rates=self._fx_rates, sources=pending.sources)
        except Exception as exc:
            try:  # PostgreSQL refuses every statement after a failed one until rollback
                raw.rollback()
            except Exception:
                log.debug("rollback after a failed write failed too", exc_info=True)
            pending.done.set_exception(exc)
        else:
            if result.created:
                self.batches += 1
                self.written += 1
            pending.done.set_result(result)

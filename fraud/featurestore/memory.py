"""The history feature store kept in this process's memory, bounded per key.

It is a :class:`fraud.history.MemoryHistory` (the same look-up, so the same
:class:`~fraud.history.HistorySnapshot` and the same pure ``history_features``) that
keeps per linking key only the latest :data:`~fraud.history.LINK_LIMIT` orders and per
account the latest :data:`~fraud.history.ACCOUNT_LIMIT` (plus :data:`SLACK`), which is
all a look-up at "now" reads: what :class:`~fraud.store.history.SqlHistory` reads with
its two queries. An order no key keeps any more is forgotten with its outcomes.

A look-up it cannot answer exactly is refused (``None``) and the caller asks the store:
an order older than the entries kept for one of its keys, when that key lost entries
it would have needed (orders arriving far out of time order).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from fraud.domain import Outcome
from fraud.history import (
    ACCOUNT_LIMIT,
    LINK_LIMIT,
    HistorySnapshot,
    MemoryHistory,
    PastOrder,
    PastOutcome,
    key_pairs,
)
from fraud.keys import OrderKeys
from fraud.links import HORIZON
from fraud.times import utc

SLACK = 32
"""Entries kept per key beyond its limit, so an order a little out of time order (a
retry, a slow client) is still answered from memory."""

Entry = tuple[datetime, str]


def kept_per_key(kind: str) -> int:
    return (ACCOUNT_LIMIT if kind == "account" else LINK_LIMIT) + SLACK


class BoundedMemoryHistory(MemoryHistory):
    """A thread-safe :class:`MemoryHistory` keeping the latest entries per key only.

    ``lookup`` answers like MemoryHistory (and raises nothing new); :meth:`lookup_exact`
    returns ``None`` when the entries dropped could change the answer.
    """

    def __init__(self, fx_rates: Mapping[str, Decimal] | None = None) -> None:
        super().__init__(fx_rates)
        self.lock = threading.RLock()
        self._refs: dict[str, int] = {}  # order id -> how many key lists hold it
        self._dropped: dict[tuple[str, str], Entry] = {}  # key -> newest entry dropped
        self.newest: datetime | None = None  # the latest order time held
        self._swept: datetime | None = None  # the newest linking-key entry a sweep forgot

    def add_past(self, past: PastOrder) -> PastOrder:
        with self.lock:
            known = self._orders.get(past.order_id)
            if known is not None:
                return known
            pairs = key_pairs(past.keys)
            super().add_past(past)
            if self.newest is None or past.created_at > self.newest:
                self.newest = past.created_at
            self._refs[past.order_id] = len(pairs)
            for pair in pairs:
                entries = self._index[pair]
                extra = len(entries) - kept_per_key(pair[0])
                if extra > 0:
                    self._drop(pair, entries, extra)
            return past

    def _drop(self, pair: tuple[str, str], entries: list[Entry], n: int) -> None:
        """Forget the ``n`` oldest entries under ``pair``, and orders no key holds."""
        gone = entries[:n]
        del entries[:n]
        self._dropped[pair] = max(gone[-1], self._dropped.get(pair, gone[-1]))
        tainted = self._tainted.get(pair)
        if tainted:
            del tainted[: bisect.bisect_left(tainted, entries[0]) if entries else len(tainted)]
        for _, order_id in gone:
            left = self._refs[order_id] - 1
            if left:
                self._refs[order_id] = left
            else:
                del self._refs[order_id], self._orders[order_id]
                self._outcomes.pop(order_id, None)

    def forget_before(self, cutoff: datetime, chunk: int = 10_000) -> int:
        """Drop the entries of linking keys (not accounts) created before ``cutoff``.

        A look-up at ``t`` reads a linking key back to ``t - HORIZON`` at most, so with
        ``cutoff`` a horizon before the latest order they are never read "now"; a key that
        sees no new orders would otherwise keep them for ever. Takes the lock for
        ``chunk`` keys at a time. Returns the number of entries dropped.
        """
        dropped = 0
        with self.lock:
            pairs = [p for p in self._index if p[0] != "account"]
        for start in range(0, len(pairs), chunk):
            with self.lock:
                for pair in pairs[start:start + chunk]:
                    entries = self._index.get(pair)
                    if not entries or entries[0][0] >= cutoff:
                        continue
                    n = bisect.bisect_left(entries, (cutoff,))
                    newest_gone = entries[n - 1][0]
                    if self._swept is None or newest_gone > self._swept:
                        self._swept = newest_gone
                    self._drop(pair, entries, n)
                    if not entries:  # the watermark stands for it now
                        del self._index[pair]
                        self._tainted.pop(pair, None)
                        self._dropped.pop(pair, None)
                    dropped += n
        return dropped

    def add_outcome_if_known(
        self, order_id: str, outcome: Outcome, at: datetime
    ) -> PastOutcome | None:
        """Record an outcome of an order still kept (once: a repeat is ignored); an order
        forgotten (no key keeps it) needs none."""
        with self.lock:
            if order_id not in self._orders:
                return None
            at = utc(at)
            for known in self._outcomes.get(order_id, ()):
                if known.outcome == outcome and known.at == at:
                    return known
            return self.add_outcome(order_id, outcome, at)

    def lookup(self, keys: OrderKeys, before: datetime, since: datetime) -> HistorySnapshot:
        with self.lock:
            return super().lookup(keys, before, since)

    def lookup_exact(
        self, keys: OrderKeys, before: datetime, since: datetime
    ) -> HistorySnapshot | None:
        """The snapshot, or ``None`` when an entry dropped could be part of it."""
        before, since = utc(before), utc(since)
        with self.lock:
            for pair in key_pairs(keys):
                if pair[0] == "account":
                    complete = self._complete(pair, None, before, ACCOUNT_LIMIT)
                else:
                    complete = self._complete(pair, min(since, before - HORIZON), before,
                                              LINK_LIMIT)
                if not complete:
                    return None
            return super().lookup(keys, before, since)

    def _complete(
        self, pair: tuple[str, str], since: datetime | None, before: datetime, limit: int
    ) -> bool:
        """Whether the latest ``limit`` entries under ``pair`` in ``[since, before)`` are all
        kept. Dropped entries are older than every kept one: they matter only when fewer
        than ``limit`` kept ones lie before ``before`` and a dropped one may lie after
        ``since`` (the newest dropped by count, or anything before the sweep's cut-off)."""
        dropped = self._dropped.get(pair)
        swept = self._swept if pair[0] != "account" else None
        if dropped is None and swept is None:
            return True
        if bisect.bisect_left(self._index.get(pair, []), (before,)) >= limit:
            return True
        if since is None:
            return False
        if dropped is not None and dropped[0] >= since:
            return False
        return swept is None or since > swept

    def stats(self) -> dict[str, int]:
        """Sizes, for logs and benchmarks."""
        with self.lock:
            return {
                "orders": len(self._orders),
                "keys": len(self._index),
                "entries": sum(len(v) for v in self._index.values()),
            }

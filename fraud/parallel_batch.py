"""Batch scoring on every core: history built first, then orders scored in parallel.

Scoring one order reads history only "as of" its own time (:class:`MemoryHistory`
filters every look-up by time, whatever it holds), so a history holding *every*
order of the file gives each order the same features as the one-by-one batch
scorer, whose history grows as it goes, provided the file is in time order and
holds each order id once. Then the scoring itself has no order left in it and is
split into chunks scored by worker processes, results put back in file order.

1. One pass reads and validates every line and builds the history (orders, then
   the outcomes of the file's orders).
2. Worker processes (forked: they share the history and the orders, copy on write)
   each score chunks of consecutive orders; the caller gets the decisions in file
   order as chunks complete.

A file out of time order, or with a repeated order id, is scored one by one
instead (:class:`~fraud.batch.BatchScorer`): there the order of the lines matters.
Memory grows with the file (the history holds every order, as the one-by-one
scorer's history does by its end). A parity test pins this to the sequential result
(tests/test_parallel_batch.py).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from fraud.batch import BatchScorer, OutcomeEvent, PendingOutcomes, decision_json
from fraud.events.schema import AccountEvent
from fraud.schema import Order, describe_validation_error, parse_order
from fraud.settings import Settings

# Orders per task: big enough that handing a chunk over costs little, small enough that
# the workers finish together and results come back steadily.
CHUNK = 500

Line = tuple[int, dict | None, str | None]
Result = tuple[dict[str, Any] | None, str | None]


@dataclass
class _Work:
    """What the forked workers inherit: the scorer (history, rules, model, geo) and the
    items of the file (an order, or the error that line had)."""

    scorer: BatchScorer
    items: list[Order | str]


_WORK: _Work | None = None


def _score_chunk(bounds: tuple[int, int]) -> list[Result]:
    assert _WORK is not None, "a worker without its inherited work"
    out: list[Result] = []
    for item in _WORK.items[bounds[0]:bounds[1]]:
        if isinstance(item, str):
            out.append((None, item))
        else:
            out.append((decision_json(_WORK.scorer.score_only(item)), None))
    return out


def default_workers() -> int:
    """Every core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_items(lines: Iterable[Line], source: str) -> list[Order | str]:
    """Every line validated: the order, or the error naming ``source`` and the line."""
    items: list[Order | str] = []
    for lineno, obj, error in lines:
        if error is not None:
            items.append(error)
            continue
        try:
            items.append(parse_order(obj))
        except ValidationError as exc:
            items.append(f"{source}:{lineno}: {describe_validation_error(exc)}")
    return items


def in_time_order_once_each(items: Iterable[Order | str]) -> bool:
    """Whether the orders come in time order with no order id twice: then the history of
    the whole file answers each order as the one-by-one scorer's would."""
    seen: set[str] = set()
    last = None
    for item in items:
        if isinstance(item, str):
            continue
        if item.order_id in seen or (last is not None and item.created_at < last):
            return False
        seen.add(item.order_id)
        last = item.created_at
    return True


def score_parallel(
    lines: Iterable[Line],
    settings: Settings,
    *,
    workers: int | None = None,
    skip: Iterable[str] = (),
    outcomes: Iterable[OutcomeEvent] = (),
    source: str = "input",
    events: Iterable[AccountEvent] | None = None,
) -> Iterator[Result]:
    """Like :func:`fraud.batch.score_stream` without a store, on ``workers`` processes
    (default: every core). Same results, same order, same error lines."""
    global _WORK
    items = read_items(lines, source)
    scorer = BatchScorer(settings, skip=skip, outcomes=outcomes, events=events)
    workers = workers or default_workers()
    if workers <= 1 or not in_time_order_once_each(items) or len(items) <= CHUNK:
        for item in items:
            yield (None, item) if isinstance(item, str) else (decision_json(scorer.score(item)),
                                                             None)
        return
    _fill_history(scorer, items)
    _WORK = _Work(scorer, items)
    try:
        # fork: the workers get the history without pickling it; nothing has run a model
        # in this process yet, so no thread pool is copied half-held
        context = multiprocessing.get_context("fork")
        bounds = [(i, min(i + CHUNK, len(items))) for i in range(0, len(items), CHUNK)]
        with context.Pool(workers) as pool:
            for chunk in pool.imap(_score_chunk, bounds):
                yield from chunk
    finally:
        _WORK = None


def _fill_history(scorer: BatchScorer, items: list[Order | str]) -> None:
    """Every order of the file and every outcome of those orders, into the history."""
    pending: PendingOutcomes = scorer.pending
    for item in items:
        if isinstance(item, str):
            continue
        scorer.history.add(item)
        for order_id, outcome, at in pending.take(item.order_id):
            scorer.history.add_outcome(order_id, outcome, at)

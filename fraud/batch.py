"""Batch scoring: the online pipeline mapped over many orders.

History comes from an in-memory view that holds every order and outcome of the
batch; each order still only sees what happened strictly before its own time,
so a file scored in batch gives the same features as the same orders scored one
by one online.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fraud.domain import Outcome
from fraud.errors import Conflict
from fraud.events.schema import AccountEvent
from fraud.history import MemoryHistory, utc
from fraud.model.scorer import ModelScorer
from fraud.rules import RuleSet, load_rules
from fraud.schema import Order, describe_validation_error, parse_order
from fraud.scoring import Scored, score_order
from fraud.settings import Settings
from fraud.signals import Context


def decision_json(scored_or_decision: Any) -> dict[str, Any]:
    """The decision as the API returns it (same field names, same encodings)."""
    from fraud.store.codecs import decision_to_dict

    decision = getattr(scored_or_decision, "decision", scored_or_decision)
    return decision_to_dict(decision)


def batch_context(
    settings: Settings,
    history: MemoryHistory,
    skip: Iterable[str] = (),
    events: Iterable[AccountEvent] | None = None,
) -> Context:
    """What online scoring's context holds, with history from memory.

    ``skip`` names signals the source data cannot support (see ``fraud import``).
    ``events`` are the accounts' logins and changes (an events file): their IPs are
    placed by the same geo database as the orders', as the service places them when
    they are posted. Without them the event features stay empty.
    """
    from fraud.events.files import memory_events
    from fraud.geo import load_geo

    geo = load_geo(settings, {})
    return Context(
        settings=settings, geo=geo, history=history, skip=frozenset(skip),
        events=None if events is None else memory_events(events, geo),
    )


def batch_model(settings: Settings) -> tuple[ModelScorer | None, bool]:
    """The model the service would use now, and whether one was wanted but failed to load."""
    from fraud.model.registry import ModelHolder, ModelRegistry

    holder = ModelHolder(ModelRegistry(settings.model_dir), pinned=settings.model_version)
    error = holder.reload()
    return holder.current, error is not None and holder.current is None


OutcomeEvent = tuple[str, Outcome, datetime]


def read_outcome_events(path: str | Path) -> list[OutcomeEvent]:
    """Outcome events ``{order_id, outcome, at}`` from JSONL (.gz ok) or CSV.

    A bad line raises :class:`~fraud.records.BadRecord` naming the file and line.
    """
    from fraud.records import load_records, parse_outcome_record
    from fraud.simulate import read_outcomes

    loaded = load_records(path, parse_outcome_record, read_table=read_outcomes)
    return [(e.order_id, e.outcome, utc(e.at)) for e in loaded.items]


class PendingOutcomes:
    """Outcomes waiting for their order: each is handed over once its order is known,
    and history shows it only from its own ``at`` on, as the service would."""

    def __init__(self, events: Iterable[OutcomeEvent] = ()) -> None:
        self._by_order: dict[str, list[OutcomeEvent]] = {}
        for event in events:
            self._by_order.setdefault(event[0], []).append(event)

    def take(self, order_id: str) -> list[OutcomeEvent]:
        return self._by_order.pop(order_id, [])

    def order_ids(self) -> list[str]:
        return list(self._by_order)


class BatchScorer:
    """Scores orders one after another against an in-memory history that grows as
    they are scored, exactly as the service would have seen them arrive.

    A repeated order id keeps its first decision, as online.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        rules: RuleSet | None = None,
        history: MemoryHistory | None = None,
        skip: Iterable[str] = (),
        outcomes: Iterable[OutcomeEvent] = (),
        events: Iterable[AccountEvent] | None = None,
    ) -> None:
        self.pending = PendingOutcomes(outcomes)
        self.rules = rules or load_rules(settings.rules_path)
        self.history = history if history is not None else MemoryHistory(settings.fx_rates)
        self.ctx = batch_context(settings, self.history, skip, events)
        self.model, self.model_unavailable = batch_model(settings)
        self._first: dict[str, Scored] = {}

    def score(self, order: Order) -> Scored:
        known = self._first.get(order.order_id)
        if known is not None:
            return known
        scored = self.score_only(order)
        self.history.add(order)
        for order_id, outcome, at in self.pending.take(order.order_id):
            self.history.add_outcome(order_id, outcome, at)
        self._first[order.order_id] = scored
        return scored


    def score_only(self, order: Order) -> Scored:
        """Score against the history as it is, adding nothing to it (the parallel scorer
        fills the history first: :mod:`fraud.parallel_batch`)."""
        return score_order(
            order, self.ctx, self.rules, self.model, model_unavailable=self.model_unavailable
        )


def score_orders(
    orders: Iterable[Order],
    settings: Settings,
    *,
    rules: RuleSet | None = None,
    history: MemoryHistory | None = None,
    events: Iterable[AccountEvent] | None = None,
) -> Iterator[Scored]:
    """Score orders in batch; they should come in time order, as they arrived online.
    ``events`` (account events) are history too, each seen by orders after its time."""
    scorer = BatchScorer(settings, rules=rules, history=history, events=events)
    for order in orders:
        yield scorer.score(order)


def score_stream(
    lines: Iterable[tuple[int, dict | None, str | None]],
    settings: Settings,
    *,
    store: bool,
    skip: Iterable[str] = (),
    outcomes: Iterable[OutcomeEvent] = (),
    source: str = "input",
    events: Iterable[AccountEvent] | None = None,
) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
    """For the CLI: numbered JSON objects in, (decision JSON, None) or (None, error) out.

    An error names ``source`` (the file) and the line: ``orders.jsonl:7: ...``.
    ``outcomes`` join history once their order is known (stored already, or
    scored here), each visible only to orders after its ``at``: the same history
    the service has when outcomes are reported as they happen. Outcomes of
    orders neither stored nor in the file are ignored. ``events`` (account events)
    are history for the event features; with ``store`` they are stored first, as if
    posted to the service.
    """

    def valid_orders() -> Iterator[tuple[Order | None, str | None]]:
        for lineno, obj, error in lines:
            if error is not None:
                yield None, error
                continue
            try:
                yield parse_order(obj), None
            except ValidationError as exc:
                yield None, f"{source}:{lineno}: {describe_validation_error(exc)}"

    if store:
        from fraud.runtime import Runtime

        pending = PendingOutcomes(outcomes)
        runtime = Runtime.start(settings)
        try:
            if events is not None:  # all first: each order still sees only earlier ones
                from fraud.events.service import EventService

                service = EventService.from_runtime(runtime)
                for event in sorted(events, key=lambda e: e.occurred_at):
                    try:
                        service.record(event)
                    except Conflict as exc:  # its id was stored with other contents
                        yield None, f"account events: {exc.message}"
            for order_id in pending.order_ids():
                if runtime.get_order(order_id) is not None:
                    _record(runtime, pending.take(order_id))
            for order, error in valid_orders():
                if order is None:
                    yield None, error
                else:
                    decided = runtime.score(order)
                    _record(runtime, pending.take(order.order_id))
                    yield decision_json(decided), None
        finally:
            runtime.close()
        return

    scorer = BatchScorer(settings, skip=skip, outcomes=outcomes, events=events)
    for order, error in valid_orders():
        if order is None:
            yield None, error
        else:
            yield decision_json(scorer.score(order)), None


def _record(runtime: Any, events: Iterable[OutcomeEvent]) -> None:
    for order_id, outcome, at in events:
        runtime.record_outcome(order_id, outcome, at)

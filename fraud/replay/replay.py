"""A replay: labelled orders assessed once, ready for any number of rule sets.

The expensive part, every order's assessment (features, and the model's
probability when a model is given), is computed **once** by the pipeline's
first step (:func:`fraud.scoring.assess`), with a
:class:`~fraud.history.MemoryHistory` holding every order and outcome, so each
order sees history as of its own time. Rule sets are then decided on those
assessments (:mod:`fraud.replay.backtest`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fraud.domain import Outcome
from fraud.events.schema import AccountEvent
from fraud.history import MemoryHistory
from fraud.model.scorer import RULES_ONLY, ModelScorer
from fraud.schema import Order
from fraud.scoring import Assessment, assess
from fraud.settings import Settings, get_settings
from fraud.signals import Context

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
"""Called with how many more orders were assessed."""


@dataclass(frozen=True, eq=False)
class Replay:
    """Orders with their assessments computed once, ready for any number of rule sets.

    ``orders`` is indexed by ``order_id`` in time order, with columns
    ``created_at`` (UTC timestamp), ``assessment``
    (:class:`~fraud.scoring.Assessment`, what rule sets are decided on) and,
    for analysts, views of it: ``features`` (the feature dict), ``keys``
    (:class:`~fraud.keys.OrderKeys`), ``signals_unavailable`` (tuple) and
    ``model_probability`` (float or ``None``).
    ``outcomes`` has one row per reported outcome: ``order_id``, ``outcome``,
    ``at`` (UTC timestamp). ``model_version`` names the model whose
    probabilities were used (``RULES_ONLY`` when none).
    """

    orders: pd.DataFrame
    outcomes: pd.DataFrame
    model_version: str = RULES_ONLY

    def __len__(self) -> int:
        return len(self.orders)

    def with_probabilities(
        self, probabilities: Mapping[str, float] | pd.Series, model_version: str
    ) -> Replay:
        """The same replay with model probabilities from elsewhere (e.g. a notebook's model).

        Orders missing from ``probabilities`` get ``None`` (decided on rules alone).
        """
        series = pd.Series(probabilities, dtype=object).reindex(self.orders.index)
        assessments = [
            replace(a, model_probability=None if pd.isna(p) else float(p), model_reasons=(),
                    model_version=model_version)
            for a, p in zip(self.orders["assessment"], series, strict=True)
        ]
        frame = assessment_frame(assessments, self.orders["created_at"])
        return replace(self, orders=frame, model_version=model_version)


def assessment_frame(assessments: Sequence[Assessment], created_at: Iterable[Any]) -> pd.DataFrame:
    """The replay's table: one row per assessment, indexed by order id."""
    frame = pd.DataFrame({
        "order_id": [a.order_id for a in assessments],
        "created_at": pd.to_datetime(list(created_at), utc=True),
        "assessment": assessments,
        "features": [a.values for a in assessments],
        "keys": [a.keys for a in assessments],
        "signals_unavailable": [a.signals_unavailable for a in assessments],
        "model_probability": [a.model_probability for a in assessments],
    })
    frame["model_probability"] = frame["model_probability"].astype(object)
    return frame.set_index("order_id")


def outcomes_frame(events: Iterable[Mapping[str, Any] | Sequence[Any]]) -> pd.DataFrame:
    """Outcome events (dicts with order_id/outcome/at, or tuples) as a frame with UTC times."""
    rows = [
        (e["order_id"], str(e["outcome"]), e["at"]) if isinstance(e, Mapping) else tuple(e)
        for e in events
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "outcome", "at"])
    frame["outcome"] = frame["outcome"].map(lambda o: Outcome(o).value)
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    return frame


MIN_PARALLEL = 1000
"""Fewer orders than this are not worth forking for."""

_JOB: tuple = ()  # (orders, context), inherited by forked workers


def _assess_slice(bounds: tuple[int, int]) -> list[Assessment]:
    orders, context = _JOB
    return [assess(o, context) for o in orders[bounds[0]:bounds[1]]]


def _assess_all(
    orders: list[Order],
    context: Context,
    model: ModelScorer | None,
    n_jobs: int,
    progress: Progress | None = None,
) -> list[Assessment]:
    """Every order's assessment, in order; forked workers share the history by copy-on-write."""
    import multiprocessing as mp

    from fraud.places import warm_up

    tick = progress or (lambda n: None)
    warm_up()  # load postal tables once, before forking, so no worker pays for them
    if n_jobs <= 1 or len(orders) < MIN_PARALLEL or "fork" not in mp.get_all_start_methods():
        out = []
        for order in orders:
            out.append(assess(order, context, model))
            tick(1)
        return out
    global _JOB
    step = -(-len(orders) // (n_jobs * 4))  # a few slices per worker evens out the load
    slices = [(lo, min(lo + step, len(orders))) for lo in range(0, len(orders), step)]
    # the model stays in this process: thread pools (OpenMP) do not survive a fork
    _JOB = (orders, context)
    rows: list[Assessment] = []
    try:
        with mp.get_context("fork").Pool(n_jobs) as pool:
            for part in pool.imap(_assess_slice, slices):
                rows.extend(part)
                tick(len(part))
    finally:
        _JOB = ()
    if model is None:
        return rows
    return [assess(o, context, model, features=a.features)
            for o, a in zip(orders, rows, strict=True)]


def replay_orders(
    orders: Iterable[Order],
    outcomes: pd.DataFrame | Iterable[Any] = (),
    *,
    settings: Settings | None = None,
    context: Context | None = None,
    model: ModelScorer | None = None,
    n_jobs: int = 1,
    progress: Progress | None = None,
    account_events: Iterable[AccountEvent] | None = None,
) -> Replay:
    """Assess every order once, with the real pipeline.

    History holds all ``orders`` and ``outcomes``; each order sees only what
    happened strictly before its own ``created_at``, as it would have online.
    ``context`` supplies the geo database and settings (its history is replaced);
    by default it is built from ``settings`` as batch scoring does. With a
    ``model``, each order's fraud probability is computed once too, so both
    rule sets of a backtest are decided with the same model points.
    ``n_jobs`` > 1 splits the orders over that many forked processes (each sees
    the whole history; the result is identical, only faster). ``progress`` is
    called with the number of orders done since its last call. ``account_events``
    (logins and account changes) are history for the event features, each seen by
    orders after its own time.
    """
    settings = settings or (context.settings if context is not None else get_settings())
    orders = sorted(orders, key=lambda o: (o.created_at, o.order_id))
    if isinstance(outcomes, pd.DataFrame):  # e.g. Simulation.outcomes, with ISO text times
        outcomes = outcomes[["order_id", "outcome", "at"]].itertuples(index=False)
    events = outcomes_frame(outcomes)
    known = {o.order_id for o in orders}
    events = events[events["order_id"].isin(known)]
    history = MemoryHistory.from_orders(
        orders,
        zip(events["order_id"], events["outcome"].map(Outcome), events["at"], strict=True),
        fx_rates=settings.fx_rates,
    )
    if context is None:
        from fraud.batch import batch_context

        context = batch_context(settings, history, events=account_events)
    else:
        from fraud.events.files import memory_events

        context = replace(context, history=history, events=(
            context.events if account_events is None
            else memory_events(account_events, context.geo)))

    assessments = _assess_all(orders, context, model, n_jobs, progress)
    frame = assessment_frame(assessments, [o.created_at for o in orders])
    return Replay(frame, events.reset_index(drop=True),
                  model.version if model is not None else RULES_ONLY)


def read_order_file(path: str | Path, *, skip_bad: bool = False) -> Iterator[Order]:
    """Validated orders from JSONL (.gz ok), Parquet or CSV (as :mod:`fraud.simulate` writes).

    A bad record raises :class:`fraud.records.BadRecord` naming the file and line;
    ``skip_bad`` leaves it out instead.
    """
    from fraud.records import load_records, parse_order_record

    yield from load_records(path, parse_order_record, skip_bad=skip_bad).items


def replay_files(
    orders_path: str | Path,
    outcomes_path: str | Path | None = None,
    *,
    settings: Settings | None = None,
    model: ModelScorer | None = None,
    n_jobs: int = 1,
    progress: Progress | None = None,
    events_path: str | Path | None = None,
) -> Replay:
    """:func:`replay_orders` over an orders file (JSONL(.gz), Parquet or CSV), an
    optional outcomes file (JSONL(.gz) or CSV) and an optional account events file
    (JSONL(.gz)), as :mod:`fraud.simulate` writes them."""
    from fraud.events.files import read_event_file
    from fraud.simulate import read_outcomes

    orders = list(read_order_file(orders_path))
    outcomes = (outcomes_frame(read_outcomes(outcomes_path)) if outcomes_path
                else outcomes_frame([]))
    events = read_event_file(events_path) if events_path else None
    return replay_orders(orders, outcomes, settings=settings, model=model, n_jobs=n_jobs,
                         progress=progress, account_events=events)


def replay_store(
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    settings: Settings | None = None,
    model: ModelScorer | None = None,
    n_jobs: int = 1,
    progress: Progress | None = None,
) -> Replay:
    """:func:`replay_orders` over the stored orders created in ``[since, until)``,
    their reported outcomes and the stored account events."""
    from fraud.store.repository import iter_orders

    orders: list[Order] = []
    events: list[tuple[str, str, datetime]] = []
    for order, stored in iter_orders(session, since, until):
        orders.append(order)
        events.extend((o.order_id, o.outcome.value, o.at) for o in stored)
    from fraud.store.event_store import iter_stored_events

    return replay_orders(orders, outcomes_frame(events), settings=settings, model=model,
                         n_jobs=n_jobs, progress=progress,
                         account_events=list(iter_stored_events(session, until)))

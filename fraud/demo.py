"""Demo mode: the bundled sample orders and their outcomes, loaded into an empty
store so the API and the review queue have something to show.

The sample goes through the real pipeline (same signals, rules and model as
live scoring); history is as of each order's own time, exactly as if the
orders had arrived one by one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from fraud.domain import Outcome
from fraud.history import MemoryHistory
from fraud.schema import parse_order
from fraud.scoring import score_order
from fraud.signals import Context
from fraud.store import repository
from fraud.store.tables import api_keys, orders

if TYPE_CHECKING:
    from fraud.runtime import Runtime

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
SAMPLE_ORDERS = DATA_DIR / "sample_orders.jsonl.gz"
SAMPLE_OUTCOMES = DATA_DIR / "sample_outcomes.jsonl.gz"
DEMO_KEY_NAME = "demo"
DEMO_KEY = "fsk_demo"  # noqa: S105 - public on purpose; only accepted in demo mode


def ensure_demo_key(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        exists = session.execute(
            select(api_keys.c.name).where(api_keys.c.name == DEMO_KEY_NAME)
        ).first()
    if exists is None:
        runtime.create_api_key(DEMO_KEY_NAME, secret=DEMO_KEY)


def store_is_empty(runtime: Runtime) -> bool:
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(orders)).scalar_one() == 0


def load_sample(
    runtime: Runtime,
    orders_path: Path = SAMPLE_ORDERS,
    outcomes_path: Path = SAMPLE_OUTCOMES,
    *,
    limit: int | None = None,
    now: datetime | None = None,
) -> int:
    """Score and store the sample orders, then record the outcomes known by ``now``.

    Returns how many orders were stored. Orders already in the store are skipped.
    """
    from fraud.simulate import read_orders, read_outcomes

    sample = [parse_order(o) for o in read_orders(orders_path)]
    sample.sort(key=lambda o: (o.created_at, o.order_id))
    if limit is not None:
        sample = sample[:limit]
    wanted = {o.order_id for o in sample}
    events = [
        (e["order_id"], Outcome(e["outcome"]), datetime.fromisoformat(e["at"]))
        for e in read_outcomes(outcomes_path)
        if e["order_id"] in wanted
    ]
    if now is not None:
        events = [e for e in events if e[2] <= now]

    # Everything is known up front; each order still sees only its own past.
    history = MemoryHistory.from_orders(sample, events, runtime.settings.fx_rates)
    ctx = Context(settings=runtime.settings, geo=runtime.geo, history=history)
    rules = runtime.rulebook.current
    created: set[str] = set()
    with runtime.sessions() as session:
        for order in sample:
            scored = score_order(order, ctx, rules, runtime.model)
            saved = repository.save_decision(
                session,
                order,
                scored.decision,
                scored.features.values,
                fx_rates=runtime.settings.fx_rates,
            )
            if saved.created:
                created.add(order.order_id)
        for order_id, outcome, at in events:
            if order_id in created:  # outcomes are append-only: never record one twice
                repository.record_outcome(session, order_id, outcome, at)
    return len(created)


def start_demo(runtime: Runtime) -> None:
    """Demo mode at start-up: the demo API key, and the sample in an empty store."""
    ensure_demo_key(runtime)
    if not store_is_empty(runtime):
        return
    if not SAMPLE_ORDERS.exists():
        log.warning("demo mode: no sample data at %s", SAMPLE_ORDERS)
        return
    log.info("demo mode: loading the sample orders into the empty store ...")
    count = load_sample(runtime)
    log.info("demo mode: %d sample orders scored and stored", count)

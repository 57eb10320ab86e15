"""Demo mode: the bundled sample orders and their outcomes, loaded into an empty
store so the API and the review queue have something to show.

The sample goes through the real pipeline (:func:`fraud.scoring.score_order`,
same signals, rules and model as live scoring); history is as of each order's
own time, exactly as if the orders had arrived one by one. It is stored in
batches with a WAL checkpoint after each, and progress is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from fraud.domain import Outcome
from fraud.errors import ConfigError
from fraud.evidence import checkpoint_if_due
from fraud.history import MemoryHistory
from fraud.schema import parse_order
from fraud.scoring import score_order
from fraud.signals import Context
from fraud.signals.contacts import RESOURCE as CONTACTS
from fraud.signals.contacts import MemoryContacts
from fraud.store import apikeys, repository
from fraud.store.contact_history import stored_contacts
from fraud.store.db import checkpoint
from fraud.store.tables import api_keys, orders

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from fraud.runtime import Runtime
    from fraud.schema import Order
    from fraud.settings import Settings

T = TypeVar("T")

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
SAMPLE_ORDERS = DATA_DIR / "sample_orders.jsonl.gz"
SAMPLE_OUTCOMES = DATA_DIR / "sample_outcomes.jsonl.gz"
DEMO_KEY_NAME = "demo"
DEMO_KEY = apikeys.DEMO_SECRET


def demo_refusal(settings: Settings, engine: Engine) -> str | None:
    """Why demo mode must not start on this store, in one line; ``None`` when it may.

    Demo mode accepts a key anyone can read in the README. That is fine on a scratch
    SQLite file and wrong on a store that serves real clients: PostgreSQL, or any store
    that holds keys other than the demo key. ``demo_on_any_store`` overrides both.
    """
    if settings.demo_on_any_store:
        return None
    override = "set FRAUD_DEMO_ON_ANY_STORE=true (fraud serve --demo-on-any-store) to run it anyway"
    if engine.dialect.name != "sqlite":
        return (
            f"demo mode refused on a {engine.dialect.name} store: it accepts the public key "
            f"{DEMO_KEY!r}; {override}"
        )
    if not inspect(engine).has_table("api_keys"):
        return None
    with Session(engine) as session:
        if apikeys.holds_other_keys(session):
            return (
                "demo mode refused: the store holds API keys other than the demo key, and demo "
                f"mode accepts the public key {DEMO_KEY!r}; {override}"
            )
    return None


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


BATCH_ORDERS = 500
"""Orders stored per batch (outcomes: four times as many); the WAL is emptied after each."""


def load_sample(
    runtime: Runtime,
    orders_path: Path = SAMPLE_ORDERS,
    outcomes_path: Path = SAMPLE_OUTCOMES,
    *,
    limit: int | None = None,
    now: datetime | None = None,
    batch_orders: int = BATCH_ORDERS,
) -> int:
    """Score and store the sample orders, then record the outcomes known by ``now``.

    Every order goes through :func:`fraud.scoring.score_order` with the
    runtime's rules and model, exactly as if it had arrived through the API.
    Orders are stored in batches of ``batch_orders`` (outcomes in batches four
    times as big); after each batch the SQLite WAL is checkpointed and emptied,
    and progress is logged every 10 %.
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
    # the contacts the store holds when loading starts (none on a fresh demo store)
    with runtime.sessions() as session:
        contacts = MemoryContacts(stored_contacts(session))
    ctx = Context(settings=runtime.settings, geo=runtime.geo, history=history,
                  extras={CONTACTS: contacts})
    rules, model = runtime.rulebook.current, runtime.model
    model_unavailable = runtime.model_unavailable()
    created: set[str] = set()

    def store_order(session: Session, order: Order) -> None:
        scored = score_order(order, ctx, rules, model, model_unavailable=model_unavailable)
        saved = repository.save_decision(
            session, order, scored.decision, scored.features.values,
            fx_rates=runtime.settings.fx_rates, sources=runtime.evidence_sources(),
        )
        if saved.created:
            created.add(order.order_id)

    def store_outcome(session: Session, event: tuple[str, Outcome, datetime]) -> None:
        repository.record_outcome(session, *event)

    _in_batches(runtime, sample, store_order, batch_orders, "sample orders scored and stored")
    # outcomes are append-only: never record one for an order stored earlier
    reported = [e for e in events if e[0] in created]
    _in_batches(runtime, reported, store_outcome, 4 * batch_orders, "sample outcomes recorded")
    return len(created)


def _in_batches(
    runtime: Runtime,
    items: Sequence[T],
    write: Callable[[Session, T], None],
    size: int,
    what: str,
) -> None:
    """``write`` every item, a session per batch; after each batch the WAL is emptied.

    Every write commits, and SQLite cannot reset its WAL while writes keep coming: without
    the checkpoint between batches the WAL of the full sample grew to 1.8 GB.
    """
    progress = Progress(len(items), what)
    size = max(1, size)
    for start in range(0, len(items), size):
        batch = items[start : start + size]
        with runtime.sessions() as session:
            for item in batch:
                write(session, item)
            # a signed checkpoint every N evidence records, as the service writes them
            checkpoint_if_due(session, runtime.signer, runtime.settings.evidence_checkpoint_every)
        checkpoint(runtime.engine, truncate=True)
        progress.advance(len(batch))


class Progress:
    """Logs "n of total (p %) what" each time another tenth of the work is done."""

    def __init__(self, total: int, what: str) -> None:
        self.total, self.what, self.done, self._next = total, what, 0, 0.1
        self._began = time.monotonic()

    def advance(self, n: int) -> None:
        self.done += n
        share = self.done / self.total if self.total else 1.0
        if share + 1e-9 >= self._next or self.done >= self.total:
            log.info(
                "demo mode: %d of %d %s (%d %%, %.0f s)",
                self.done, self.total, self.what, round(100 * share),
                time.monotonic() - self._began,
            )
            while self._next <= share + 1e-9:
                self._next += 0.1


def start_in_background(runtime: Runtime) -> threading.Thread:
    """Demo key now; the sample orders in a thread, so the API answers at once.

    Called by whoever serves (the API's start-up), not by :class:`Runtime`: demo
    mode sits above the runtime. Raises :class:`~fraud.errors.ConfigError` on a store
    demo mode must not touch (:func:`demo_refusal`).
    """
    refusal = demo_refusal(runtime.settings, runtime.engine)
    if refusal is not None:
        raise ConfigError(refusal)
    ensure_demo_key(runtime)
    thread = threading.Thread(target=start_demo, args=(runtime,), name="demo-loader", daemon=True)
    thread.start()
    return thread


def start_demo(runtime: Runtime) -> None:
    """Demo mode at start-up: the demo API key, and the sample in an empty store."""
    ensure_demo_key(runtime)
    if not store_is_empty(runtime):
        return
    if not SAMPLE_ORDERS.exists():
        log.warning("demo mode: no sample data at %s", SAMPLE_ORDERS)
        return
    log.info("demo mode: loading the sample orders into the empty store ...")
    began = time.monotonic()
    count = load_sample(runtime)
    log.info(
        "demo mode: %d sample orders scored and stored in %s in %.0f s",
        count, runtime.settings.resolved_database_url, time.monotonic() - began,
    )

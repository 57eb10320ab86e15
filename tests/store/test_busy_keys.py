"""A busy key (a pick-up point, one IP, one device shared by many customers) is read
up to :data:`fraud.history.LINK_LIMIT` orders per key, in SQL and in memory alike:
what a look-up returns stops growing with the key's traffic (issue 10 item 12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from factories import make_order
from sqlalchemy.orm import Session

import fraud.history
import fraud.store.history
from fraud.domain import Action, Decision, Outcome, Versions
from fraud.history import WINDOW, HistorySnapshot, MemoryHistory
from fraud.keys import order_keys
from fraud.schema import Order
from fraud.settings import Settings
from fraud.store import repository
from fraud.store.db import make_engine, upgrade_database
from fraud.store.history import SqlHistory

LIMIT = 5
STORE_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FX = Settings().fx_rates
PICK_UP = {"street": "Stationsplein", "house_number": "1", "postal_code": "3511 CE",
           "city": "Utrecht", "country": "NL"}


@pytest.fixture(autouse=True)
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fraud.history, "LINK_LIMIT", LIMIT)
    monkeypatch.setattr(fraud.store.history, "LINK_LIMIT", LIMIT)
    # statements are compiled once per process with the limit in them: start afresh
    monkeypatch.setattr(fraud.store.history, "_STATEMENTS", {})


def on_the_busy_key(i: int, created: datetime) -> Order:
    """Customer i (every third a guest) at the pick-up point, on the kiosk's IP and device."""
    customer: dict = {"email": f"buyer{i}@example.nl", "phone": None}
    customer |= ({"account_id": None, "account_created_at": None} if i % 3 == 0
                 else {"account_id": f"C-{i}"})
    return make_order(order_id=f"O-{i:05d}", created_at=created.isoformat(), customer=customer,
                      ip_address="77.163.1.1", device_id="dev-kiosk", shipping_address=PICK_UP,
                      payment={"card_last4": f"{i:04d}"})


def busy_history(n: int) -> tuple[list[Order], list[tuple[str, Outcome, datetime]]]:
    """n earlier orders over the last 20 days, every other one charged back half an hour
    later."""
    orders = [on_the_busy_key(i, T0 - timedelta(hours=1 + i * 20 * 24 / n)) for i in range(n)]
    outcomes = [(o.order_id, Outcome.CHARGEBACK, o.created_at + timedelta(minutes=30))
                for o in orders[::2]]
    return orders, outcomes


def stored(url: str, orders: list[Order], outcomes: list) -> SqlHistory:
    """A SQL view over a store holding ``orders`` and ``outcomes``, saved as the service does."""
    upgrade_database(url)
    engine = make_engine(url)
    versions = Versions("test", "none", "test")
    with Session(engine) as session:
        for order in orders:
            decision = Decision(order.order_id, 0, Action.APPROVE, (), (), (), versions)
            repository.save_decision(session, order, decision, {}, fx_rates=FX)
        for order_id, outcome, at in outcomes:
            repository.record_outcome(session, order_id, outcome, at)
    return SqlHistory(engine)


def look_up(view: fraud.history.HistoryView, order: Order) -> HistorySnapshot:
    keys = order_keys(order)
    return view.lookup(keys, order.created_at, order.created_at - WINDOW)


def test_a_busy_key_reads_the_same_bounded_history_in_sql_and_memory(db_url: str) -> None:
    orders, outcomes = busy_history(40)
    new = on_the_busy_key(999, T0)
    snapshot = look_up(MemoryHistory.from_orders(orders, outcomes, FX), new)
    view = stored(db_url, orders, outcomes)
    try:
        assert look_up(view, new) == snapshot
    finally:
        view._source.dispose()
    customers = dict(snapshot.customers)
    # ip, device and address: other customers counted among the key's latest LIMIT orders
    assert customers["ip"] == customers["device"] == customers["address"] == LIMIT
    latest = {o.order_id for o in orders[:LIMIT]}  # orders[0] is the most recent
    assert {p.order_id for p in snapshot.linked} == latest
    assert {link.order_id for link in snapshot.links} <= latest
    assert {link.kind for link in snapshot.links} == {"ip", "device", "address"}


@pytest.mark.parametrize("backend", STORE_BACKENDS)
def test_what_a_look_up_reads_stops_growing_with_the_key_s_traffic(
    backend: str, new_database: Callable[[str], str]
) -> None:
    new = on_the_busy_key(999, T0)
    sizes = []
    for n in (20, 60):
        orders, outcomes = busy_history(n)
        view = stored(new_database(backend), orders, outcomes)
        try:
            snapshot = look_up(view, new)
        finally:
            view._source.dispose()
        sizes.append((len(snapshot.linked), len(snapshot.links), snapshot.customers))
    assert sizes[0] == sizes[1]
    assert sizes[0][:2] == (LIMIT, 3 * 3)  # orders 0, 2 and 4 charged back, by three keys


def test_a_busy_account_reads_its_latest_orders_alike_in_sql_and_memory(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fraud.history, "ACCOUNT_LIMIT", 8)
    monkeypatch.setattr(fraud.store.history, "ACCOUNT_LIMIT", 8)
    # one customer, 30 orders over two years from changing addresses: most outside the window
    orders = [
        make_order(order_id=f"A-{i:03d}", created_at=(T0 - timedelta(days=1 + 24 * i)).isoformat(),
                   customer={"account_created_at": "2023-01-01T00:00:00+00:00"},
                   shipping_address={"house_number": str(i)})
        for i in range(30)
    ]
    outcomes = [(o.order_id, Outcome.PAID, o.created_at + timedelta(hours=1)) for o in orders]
    new = make_order(order_id="A-new", created_at=T0.isoformat(),
                     customer={"account_created_at": "2023-01-01T00:00:00+00:00"})
    snapshot = look_up(MemoryHistory.from_orders(orders, outcomes, FX), new)
    view = stored(db_url, orders, outcomes)
    try:
        assert look_up(view, new) == snapshot
    finally:
        view._source.dispose()
    assert [p.order_id for p in snapshot.account] == [f"A-{i:03d}" for i in range(7, -1, -1)]

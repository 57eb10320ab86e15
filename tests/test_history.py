"""History as of a point in time: the in-memory view, the SQL view, and the pure features.

Behaviour tests run against every view (memory, SQLite, PostgreSQL); the
parity tests pin the SQL view to the in-memory one on a mixed sample.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from factories import guest, make_order
from sqlalchemy.orm import Session

from fraud.domain import Action, Decision, Outcome, Versions
from fraud.errors import NotFound
from fraud.history import (
    WINDOW,
    HistoryView,
    MemoryHistory,
    amount_eur,
    history_features,
)
from fraud.keys import order_keys
from fraud.schema import Order
from fraud.settings import Settings
from fraud.store import repository
from fraud.store.db import make_engine, upgrade_database
from fraud.store.history import SqlHistory

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FX = Settings().fx_rates
OutcomeEvent = tuple[str, Outcome, datetime]


def at(**delta: float) -> str:
    """An ISO time relative to T0, as the API receives it."""
    return (T0 + timedelta(**delta)).isoformat()


def features_of(order: Order, view: HistoryView) -> dict:
    keys = order_keys(order)
    snapshot = view.lookup(keys, order.created_at, order.created_at - WINDOW)
    return history_features(order, keys, amount_eur(order, FX), snapshot)


def placeholder_decision(order_id: str) -> Decision:
    return Decision(order_id, 0, Action.APPROVE, (), (), (), Versions("test", "none", "test"))


def store_all(url: str, orders: Iterable[Order], outcomes: Iterable[OutcomeEvent]) -> SqlHistory:
    """Save orders and outcomes through the repository, as the service does."""
    upgrade_database(url)
    engine = make_engine(url)
    with Session(engine) as session:
        for order in orders:
            repository.save_decision(
                session, order, placeholder_decision(order.order_id), {}, fx_rates=FX
            )
        for order_id, outcome, when in outcomes:
            repository.record_outcome(session, order_id, outcome, when)
    return SqlHistory(engine)


ViewBuilder = Callable[[Sequence[Order], Sequence[OutcomeEvent]], HistoryView]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def build_view(request: pytest.FixtureRequest, new_database: Callable[[str], str]) -> ViewBuilder:
    """Builds a history view of the given kind holding the given orders and outcomes."""
    engines = []

    def build(orders: Sequence[Order], outcomes: Sequence[OutcomeEvent] = ()) -> HistoryView:
        if request.param == "memory":
            return MemoryHistory.from_orders(orders, outcomes, fx_rates=FX)
        view = store_all(new_database(request.param), orders, outcomes)
        engines.append(view._source)
        return view

    yield build
    for engine in engines:
        engine.dispose()


# --- behaviour, on every view ----------------------------------------------------------------


def test_first_order_of_an_account_has_no_history(build_view: ViewBuilder) -> None:
    order = make_order(created_at=at())
    f = features_of(order, build_view([order], []))
    assert f["account_prior_orders"] == 0
    assert f["account_orders_24h"] == 0
    assert f["ip_orders_24h"] == 0
    assert f["first_order_from_country"] is None
    assert f["amount_vs_account_median"] is None


def test_account_velocity_counts_only_earlier_orders_within_each_window(
    build_view: ViewBuilder,
) -> None:
    earlier = [
        make_order(created_at=at(days=-40)),
        make_order(created_at=at(days=-3)),
        make_order(created_at=at(hours=-5)),
        make_order(created_at=at(minutes=-10)),
    ]
    order = make_order(created_at=at())
    later = make_order(created_at=at(minutes=5))
    f = features_of(order, build_view([*earlier, order, later], []))
    assert f["account_orders_1h"] == 1
    assert f["account_orders_24h"] == 2
    assert f["account_orders_30d"] == 3
    assert f["account_prior_orders"] == 4


def test_an_order_at_exactly_the_same_time_is_invisible(build_view: ViewBuilder) -> None:
    twin = make_order(created_at=at())
    order = make_order(created_at=at())
    f = features_of(order, build_view([twin, order], []))
    assert f["account_prior_orders"] == 0
    assert f["ip_orders_1h"] == 0


def test_accounts_sharing_a_key_count_other_accounts_and_guests_by_email(
    build_view: ViewBuilder,
) -> None:
    shared_ip = {"ip_address": "203.0.113.9"}
    others = [
        make_order(created_at=at(hours=-2), customer={"account_id": "C-1"}, **shared_ip),
        make_order(created_at=at(hours=-3), customer={"account_id": "C-1"}, **shared_ip),
        make_order(created_at=at(days=-2), customer={"account_id": "C-2"}, **shared_ip),
        make_order(
            created_at=at(hours=-1), **guest(customer={"email": "x@example.org"}), **shared_ip
        ),
    ]
    mine = make_order(created_at=at(hours=-4), **shared_ip)  # same account as `order`
    order = make_order(created_at=at(), **shared_ip)
    f = features_of(order, build_view([*others, mine, order], []))
    assert f["ip_orders_24h"] == 4
    assert f["ip_accounts_24h"] == 2  # C-1 and the guest; never the order's own account
    assert f["ip_accounts_30d"] == 3


def test_a_guest_is_its_own_account_keyed_by_email(build_view: ViewBuilder) -> None:
    same_guest = make_order(created_at=at(hours=-1), **guest())
    account = make_order(created_at=at(hours=-2))  # same e-mail, but with an account
    order = make_order(created_at=at(), **guest())
    f = features_of(order, build_view([same_guest, account, order], []))
    assert f["email_accounts_30d"] == 1
    assert f["account_prior_orders"] is None
    assert f["account_age_days"] is None


def test_missing_phone_device_or_card_gives_unknown_not_zero(build_view: ViewBuilder) -> None:
    order = make_order(
        created_at=at(),
        customer={"phone": None},
        device_id=None,
        payment={"method": "ideal", "card_bin": None, "card_last4": None, "card_country": None},
    )
    f = features_of(order, build_view([order], []))
    assert f["phone_accounts_30d"] is None
    assert f["device_orders_24h"] is None
    assert f["card_orders_24h"] is None
    assert f["email_accounts_30d"] == 0


def test_distinct_cards_ips_addresses_devices_per_account(build_view: ViewBuilder) -> None:
    def card(last4: str) -> dict:
        return {"payment": {"card_last4": last4}}

    earlier = [
        make_order(created_at=at(hours=-1), **card("1111"), ip_address="198.51.100.1"),
        make_order(created_at=at(hours=-2), **card("2222"), device_id="dev-other"),
        make_order(created_at=at(days=-10), **card("3333"), shipping_address={"city": "Gouda"}),
        make_order(
            created_at=at(days=-11), **card("3333"), shipping_address={"postal_code": "1011 AB"}
        ),
    ]
    order = make_order(created_at=at(), **card("4444"))
    f = features_of(order, build_view([*earlier, order], []))
    assert f["account_distinct_cards_24h"] == 2
    assert f["account_distinct_cards_30d"] == 3
    assert f["account_distinct_ips_30d"] == 2
    assert f["account_distinct_devices_30d"] == 2
    # the city is not part of the address key; the postal code is
    assert f["account_distinct_addresses_30d"] == 2


def _stranger(**overrides: object) -> dict:
    """Overrides for an order sharing nothing with the default one, unless overridden."""
    base = {
        "customer": {"account_id": "C-X", "email": "x@example.org", "phone": None},
        "ip_address": "192.0.2.77",
        "device_id": None,
        "shipping_address": {"postal_code": "9999 ZZ"},
        "payment": {"card_last4": "0000"},
    }
    for key, value in overrides.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) else value  # type: ignore[dict-item]
    return base


def test_linked_bad_outcomes_count_only_when_known_before_the_order(
    build_view: ViewBuilder,
) -> None:
    linked = {"device_id": "dev-shared"}
    old = make_order(
        created_at=at(days=-200), **_stranger(customer={"account_id": "C-9"}, **linked)
    )
    recent = make_order(
        created_at=at(days=-5), **_stranger(customer={"account_id": "C-8"}, **linked)
    )
    unrelated = make_order(created_at=at(days=-5), **_stranger())
    order = make_order(created_at=at(), **linked)
    outcomes = [
        (old.order_id, Outcome.CHARGEBACK, T0 - timedelta(days=150)),  # known: counts
        (recent.order_id, Outcome.FRAUD_CONFIRMED, T0 + timedelta(days=1)),  # too late
        (recent.order_id, Outcome.REFUNDED, T0 - timedelta(days=1)),  # known: counts
        (unrelated.order_id, Outcome.CHARGEBACK, T0 - timedelta(days=1)),  # not linked
    ]
    f = features_of(order, build_view([old, recent, unrelated, order], outcomes))
    assert 0 < f["linked_fraud_weight"] < 0.5  # 200 days old: faded past two half-lives
    assert f["linked_refund_weight"] > 0
    assert f["email_linked_fraud"] == 0


def test_a_busy_ip_passes_on_only_a_sliver_of_its_fraud(build_view: ViewBuilder) -> None:
    nat = {"ip_address": "198.51.100.10"}
    crowd = [
        make_order(
            created_at=at(days=-1, hours=-i),
            **_stranger(customer={"account_id": f"C-{i}", "email": f"c{i}@example.org"}, **nat),
        )
        for i in range(9)
    ]
    fraud = crowd[0]
    honest = make_order(created_at=at(), **nat)
    quiet_ip = make_order(created_at=at(), **{**nat, "ip_address": "198.51.100.99"})
    lone = make_order(created_at=at(days=-2), **_stranger(ip_address="198.51.100.99"))
    outcomes = [
        (fraud.order_id, Outcome.CHARGEBACK, T0 - timedelta(hours=1)),
        (lone.order_id, Outcome.CHARGEBACK, T0 - timedelta(hours=1)),
    ]
    view = build_view([*crowd, lone, honest, quiet_ip], outcomes)
    busy, quiet = features_of(honest, view), features_of(quiet_ip, view)
    assert busy["ip_accounts_30d"] == 9
    assert 0 < busy["linked_fraud_weight"] < quiet["linked_fraud_weight"] <= 0.3
    assert busy["linked_fraud_strong"] == quiet["linked_fraud_strong"] == 0


def test_fraud_through_a_shared_email_counts_across_accounts_not_on_the_same_account(
    build_view: ViewBuilder,
) -> None:
    shared = {"email": "jan.jansen@example.nl", "phone": "+31612345678"}
    other_account = make_order(
        created_at=at(days=-10), **_stranger(customer={"account_id": "C-2", **shared})
    )
    as_guest = make_order(
        created_at=at(days=-9),
        **_stranger(customer={**shared, "account_id": None, "account_created_at": None}),
    )
    fresh = {"account_id": "C-1", "account_created_at": at(days=-2), **shared}
    order = make_order(created_at=at(), customer=fresh)
    outcomes = [
        (other_account.order_id, Outcome.CHARGEBACK, T0 - timedelta(days=1)),
        (as_guest.order_id, Outcome.FRAUD_CONFIRMED, T0 - timedelta(days=1)),
    ]
    f = features_of(order, build_view([other_account, as_guest, order], outcomes))
    assert f["email_linked_fraud"] == 2
    assert f["phone_linked_fraud"] == 2
    assert f["linked_fraud_strong"] == 2
    assert f["linked_fraud_weight"] > 0.5

    # the victim of a stolen identity: their account had the e-mail before the fraud
    victim = make_order(created_at=at(), customer={"account_id": "C-1", **shared})
    borrowed = features_of(victim, build_view([other_account, as_guest, victim], outcomes))
    assert borrowed["email_linked_fraud"] == borrowed["phone_linked_fraud"] == 0
    assert borrowed["linked_fraud_strong"] == 0
    assert 0 < borrowed["linked_fraud_weight"] <= 2 * 0.2  # two orders, each as the account

    # the victim of a taken-over account: the fraud was on their own account
    taken_over = make_order(
        created_at=at(days=-10),
        **_stranger(customer={"account_id": "C-1", **shared}, ip_address="192.0.2.200"),
    )
    own = features_of(order, build_view([taken_over, order], [
        (taken_over.order_id, Outcome.CHARGEBACK, T0 - timedelta(days=1))
    ]))
    assert own["email_linked_fraud"] == own["phone_linked_fraud"] == 0
    assert own["linked_fraud_strong"] == 0
    assert 0 < own["linked_fraud_weight"] <= 0.2


def test_a_link_fades_with_time(build_view: ViewBuilder) -> None:
    def weight(days_ago: float) -> float:
        earlier = make_order(
            created_at=at(days=-days_ago), **_stranger(shipping_address={"postal_code": "3511 AZ"})
        )
        order = make_order(created_at=at(), shipping_address={"postal_code": "3511 AZ"})
        view = build_view([earlier, order], [(earlier.order_id, Outcome.CHARGEBACK, at_t(-0.5))])
        return features_of(order, view)["linked_fraud_weight"]

    assert weight(1) > weight(90) > weight(300) > 0
    assert weight(400) == 0  # beyond the horizon


def at_t(days: float) -> datetime:
    return T0 + timedelta(days=days)


def test_addresses_an_account_shipped_to_within_the_hour(build_view: ViewBuilder) -> None:
    earlier = [
        make_order(created_at=at(minutes=-50), shipping_address={"postal_code": "1011 AB"}),
        make_order(created_at=at(minutes=-20), shipping_address={"postal_code": "1012 AB"}),
        make_order(created_at=at(minutes=-10), shipping_address={"postal_code": "1012 AB"}),
        make_order(created_at=at(minutes=-70), shipping_address={"postal_code": "1013 AB"}),
    ]
    order = make_order(created_at=at(), shipping_address={"postal_code": "1014 AB"})
    f = features_of(order, build_view([*earlier, order], []))
    assert f["account_addresses_1h"] == 3
    alone = make_order(created_at=at(days=-1))
    assert features_of(alone, build_view([alone], []))["account_addresses_1h"] == 1
    assert features_of(
        make_order(created_at=at(), **guest()), build_view([], [])
    )["account_addresses_1h"] is None


def test_an_outcome_reported_for_the_exact_order_time_is_not_yet_known(
    build_view: ViewBuilder,
) -> None:
    past = make_order(created_at=at(days=-3))
    order = make_order(created_at=at())
    outcomes = [
        (past.order_id, Outcome.PAID, T0),
        (past.order_id, Outcome.CHARGEBACK, T0),
    ]
    f = features_of(order, build_view([past, order], outcomes))
    assert f["account_prior_paid_orders"] == 0
    assert f["linked_fraud_weight"] == 0


def test_prior_paid_orders_and_habits_of_the_account(build_view: ViewBuilder) -> None:
    earlier = [
        make_order(created_at=at(days=-60), payment={"amount": "100.00"}),
        make_order(created_at=at(days=-30), payment={"amount": "200.00"}),
        make_order(created_at=at(days=-1), payment={"amount": "300.00"}),
    ]
    order = make_order(
        created_at=at(),
        payment={"amount": "800.00"},
        shipping_address={"country": "DE", "postal_code": "10115", "city": "Berlin"},
    )
    outcomes = [(earlier[0].order_id, Outcome.PAID, T0 - timedelta(days=59))]
    f = features_of(order, build_view([*earlier, order], outcomes))
    assert f["account_prior_orders"] == 3
    assert f["account_prior_paid_orders"] == 1
    assert f["first_order_from_country"] is True
    assert f["amount_vs_account_median"] == pytest.approx(4.0)


# --- the in-memory view ----------------------------------------------------------------------


def test_memory_history_ignores_a_repeated_order_id() -> None:
    order = make_order(created_at=at(hours=-1))
    history = MemoryHistory(FX)
    history.add(order)
    history.add(order)
    assert len(history) == 1


def test_memory_history_refuses_an_outcome_for_an_unknown_order() -> None:
    with pytest.raises(NotFound):
        MemoryHistory(FX).add_outcome("O-nope", Outcome.PAID, T0)


# --- parity and point-in-time correctness on a mixed sample ----------------------------------


def sample(n: int = 60, seed: int = 7) -> tuple[list[Order], list[OutcomeEvent]]:
    """Orders over 40 days sharing a few accounts, IPs, cards, devices and addresses."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    orders = []
    for i in range(n):
        account = rng.choice(["C-1", "C-2", "C-3", None])
        customer: dict = {"email": f"buyer{rng.randint(1, 4)}@example.nl"}
        if account:
            customer |= {"account_id": account}
        else:
            customer |= {"account_id": None, "account_created_at": None}
        if rng.random() < 0.3:
            customer["phone"] = None
        orders.append(
            make_order(
                order_id=f"O-{i:04d}",
                created_at=at(minutes=-rng.randint(0, 40 * 24 * 60)),
                customer=customer,
                ip_address=f"203.0.113.{rng.randint(1, 5)}",
                device_id=rng.choice(["dev-a", "dev-b", None]),
                payment={
                    "amount": f"{rng.randint(10, 900)}.{rng.randint(0, 99):02d}",
                    "card_last4": rng.choice(["1111", "2222", "3333"]),
                },
                shipping_address={"country": rng.choice(["NL", "BE"]), "house_number": "1"},
            )
        )
    outcomes = [
        (
            o.order_id,
            rng.choice(list(Outcome)),
            o.created_at + timedelta(hours=rng.randint(1, 20 * 24)),
        )
        for o in rng.sample(orders, n // 3)
    ]
    return orders, outcomes


def test_features_do_not_depend_on_the_order_orders_were_added_in() -> None:
    orders, outcomes = sample()
    shuffled = orders[:]
    random.Random(1).shuffle(shuffled)  # noqa: S311
    in_time_order = sorted(orders, key=lambda o: o.created_at)
    a = MemoryHistory.from_orders(in_time_order, sorted(outcomes, key=lambda e: e[2]), FX)
    b = MemoryHistory.from_orders(shuffled, list(reversed(outcomes)), FX)
    for order in orders:
        assert features_of(order, a) == features_of(order, b), order.order_id


def test_features_ignore_everything_that_happens_after_the_order() -> None:
    orders, outcomes = sample()
    everything = MemoryHistory.from_orders(orders, outcomes, FX)
    for order in orders:
        t = order.created_at
        known = [o for o in orders if o.created_at < t]
        known_outcomes = [e for e in outcomes if e[2] < t and e[0] in {o.order_id for o in known}]
        only_the_past = MemoryHistory.from_orders(known, known_outcomes, FX)
        assert features_of(order, everything) == features_of(order, only_the_past)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_sql_history_gives_the_same_snapshots_and_features_as_memory_history(
    backend: str, new_database: Callable[[str], str]
) -> None:
    orders, outcomes = sample()
    shuffled = orders[:]
    random.Random(3).shuffle(shuffled)  # noqa: S311 - stored out of time order, like a backfill
    sql = store_all(new_database(backend), shuffled, outcomes)
    memory = MemoryHistory.from_orders(orders, outcomes, FX)
    try:
        for order in orders:
            keys, t = order_keys(order), order.created_at
            assert sql.lookup(keys, t, t - WINDOW) == memory.lookup(keys, t, t - WINDOW)
            assert features_of(order, sql) == features_of(order, memory), order.order_id
    finally:
        sql._source.dispose()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_busy_key_is_read_up_to_the_limit_alike_in_sql_and_memory(
    backend: str, new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import fraud.history
    import fraud.store.history

    monkeypatch.setattr(fraud.history, "LINK_LIMIT", 3)
    monkeypatch.setattr(fraud.store.history, "LINK_LIMIT", 3)
    # statements are compiled once per process with the limit in them: start afresh
    monkeypatch.setattr(fraud.store.history, "_STATEMENTS", {})
    orders, outcomes = sample()
    sql = store_all(new_database(backend), orders, outcomes)
    memory = MemoryHistory.from_orders(orders, outcomes, FX)
    try:
        late = sorted(orders, key=lambda o: o.created_at)[-1]
        keys, t = order_keys(late), late.created_at
        snapshot = memory.lookup(keys, t, t - WINDOW)
        assert sql.lookup(keys, t, t - WINDOW) == snapshot
        mine = keys.account
        by_ip = [p for p in snapshot.linked if p.keys.ip == keys.ip and p.account_id != mine]
        assert len(by_ip) <= 3
        on_ip = [
            o for o in orders if str(o.ip_address) == keys.ip and t - WINDOW <= o.created_at < t
        ]
        assert len(on_ip) > 3  # the limit did cut
    finally:
        sql._source.dispose()

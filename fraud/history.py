"""Order history as of a point in time: what the history signal may see.

The feast principle: a history feature is a pure function of what happened
strictly before the order's own ``created_at``. A :class:`HistoryView` answers
that one question; :class:`MemoryHistory` answers it from memory (batch
scoring, backtests, tests) and :class:`fraud.store.history.SqlHistory` from the
store (online). Both hand the same :class:`HistorySnapshot` to the same pure
:func:`history_features`, so online and batch features cannot disagree.

"Before t" is strict and applies to every event: an order created at or after
t is invisible, and so is an outcome whose ``at`` is at or after t, even when
the order it belongs to is older.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

from fraud.domain import FeatureValue, Outcome
from fraud.errors import NotFound
from fraud.keys import OrderKeys, order_keys
from fraud.links import BAD_OUTCOMES, HORIZON, OutcomeLink, linked_outcome_features
from fraud.money import amount_eur, default_fx_rates
from fraud.schema import Order
from fraud.times import utc

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WINDOW = timedelta(days=30)
"""The longest look-back of the windowed features; linked outcomes reach back to
:data:`fraud.links.HORIZON`."""

LINKED_OUTCOMES = BAD_OUTCOMES

LINK_LIMIT = 200
"""Per linking key, only its latest this many orders are read: those of the window (for
the velocity features and the count of customers sharing the key) and those within
:data:`~fraud.links.HORIZON` (for linked bad outcomes). A busy key (a pick-up point, a
carrier's NAT address) would otherwise cost a read of thousands of rows per order."""

ACCOUNT_LIMIT = 1000
"""Of an account's past, only its latest this many orders are read (all time, not only
the window): its prior orders, paid orders, countries and usual amount are those of its
latest thousand orders. A shop's busiest customer would otherwise cost a read of its
whole history on every order."""

LINKING_KINDS = ("ip", "email", "phone", "device", "address", "card")


@dataclass(frozen=True, slots=True)
class PastOutcome:
    order_id: str
    outcome: Outcome
    at: datetime


@dataclass(frozen=True, slots=True)  # slots: the feature store holds many
class PastOrder:
    """What history keeps of one earlier order: its time, keys, amount and countries.

    ``outcomes`` holds only the outcomes known at the time the history was asked
    about, oldest first.
    """

    order_id: str
    created_at: datetime
    keys: OrderKeys
    amount_eur: float | None
    shipping_country: str
    billing_country: str
    card_country: str | None = None
    outcomes: tuple[PastOutcome, ...] = ()

    @property
    def account_id(self) -> str | None:
        return self.keys.account

    @property
    def identity(self) -> tuple[str, str]:
        return account_identity(self.keys)


@dataclass(frozen=True)
class HistorySnapshot:
    """A view's answer for one order, as of ``before``.

    ``linked``: orders sharing the account or any linking key, created in
    ``[since, before)``, at most the latest :data:`LINK_LIMIT` per key.
    ``account``: the account's orders created before ``before``, all time,
    at most its latest :data:`ACCOUNT_LIMIT` (empty for guests). ``links``:
    the :data:`LINKED_OUTCOMES` known before ``before`` of orders linked by
    account or key and created in
    ``[before - HORIZON, before)`` (per key, among its latest :data:`LINK_LIMIT`
    orders there), one per (key kind, outcome). ``customers``: per linking key
    kind the order has, the other customers (accounts, or guests by e-mail)
    among the key's latest :data:`LINK_LIMIT` orders in ``[since, before)``.
    Sorted oldest first.
    """

    before: datetime
    since: datetime
    linked: tuple[PastOrder, ...]
    account: tuple[PastOrder, ...]
    links: tuple[OutcomeLink, ...]
    customers: tuple[tuple[str, int], ...]


@runtime_checkable
class HistoryView(Protocol):
    """Answers "what happened before t" for the history signal."""

    def lookup(self, keys: OrderKeys, before: datetime, since: datetime) -> HistorySnapshot:
        """Orders and outcomes linked to ``keys`` strictly before ``before`` (see
        :class:`HistorySnapshot` for which part covers which period)."""
        ...


def account_identity(keys: OrderKeys) -> tuple[str, str]:
    """Who placed an order: the account, or for a guest checkout its e-mail."""
    if keys.account:
        return ("account", keys.account)
    return ("guest", keys.email)


def identity_text(account: str | None, email: str) -> str:
    """:func:`account_identity` as one string, the way the SQL view spells it."""
    return f"a:{account}" if account else f"g:{email}"


def link_sort_key(link: OutcomeLink) -> tuple[datetime, str, str, str, datetime]:
    return (link.order_created_at, link.order_id, link.kind, link.outcome.value, link.at)


def key_pairs(keys: OrderKeys) -> list[tuple[str, str]]:
    """(kind, value) for the account and every linking key present."""
    pairs = [("account", keys.account)] if keys.account else []
    return pairs + [(k, v) for k, v in keys.linked().items()]


def past_order(order: Order, fx_rates: Mapping[str, Decimal]) -> PastOrder:
    """The history facts of an order (no outcomes yet)."""
    return PastOrder(
        order_id=order.order_id,
        created_at=utc(order.created_at),
        keys=order_keys(order),
        amount_eur=amount_eur(order, fx_rates),
        shipping_country=str(order.shipping_address.country),
        billing_country=str(order.billing_address.country),
        card_country=str(order.payment.card_country) if order.payment.card_country else None,
    )


def _order_sort_key(p: PastOrder) -> tuple[datetime, str]:
    return (p.created_at, p.order_id)


def _outcome_sort_key(o: PastOutcome) -> tuple[datetime, str, str]:
    return (o.at, o.order_id, o.outcome.value)


class MemoryHistory:
    """An in-memory :class:`HistoryView`, for batch scoring, backtests and tests.

    Orders and outcomes may be added in any order: every look-up filters by
    time, so the answer for an order never depends on what was added after it.
    Adding an order id twice keeps the first, as the store does.
    """

    def __init__(self, fx_rates: Mapping[str, Decimal] | None = None) -> None:
        self._fx_rates = fx_rates
        self._orders: dict[str, PastOrder] = {}
        self._outcomes: dict[str, list[PastOutcome]] = {}
        # (kind, value) -> sorted [(created_at, order_id)]
        self._index: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
        # the same, only for orders with a linked outcome: keeps all-time scans short
        self._tainted: dict[tuple[str, str], list[tuple[datetime, str]]] = {}

    @classmethod
    def from_orders(
        cls,
        orders: Iterable[Order],
        outcomes: Iterable[tuple[str, Outcome, datetime]] = (),
        fx_rates: Mapping[str, Decimal] | None = None,
    ) -> MemoryHistory:
        """A history holding ``orders`` and ``(order_id, outcome, at)`` outcomes."""
        history = cls(fx_rates)
        for order in orders:
            history.add(order)
        for order_id, outcome, at in outcomes:
            history.add_outcome(order_id, outcome, at)
        return history

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def add(self, order: Order) -> PastOrder:
        """Remember an order; a repeated order id is ignored."""
        known = self._orders.get(order.order_id)
        if known is not None:
            return known
        if self._fx_rates is None:
            self._fx_rates = default_fx_rates()
        return self.add_past(past_order(order, self._fx_rates))

    def add_past(self, past: PastOrder) -> PastOrder:
        """Remember an order's history facts (read back from the store, say); a repeated
        order id is ignored."""
        known = self._orders.get(past.order_id)
        if known is not None:
            return known
        self._orders[past.order_id] = past
        for pair in key_pairs(past.keys):
            bisect.insort(self._index.setdefault(pair, []), (past.created_at, past.order_id))
        return past

    def add_outcome(self, order_id: str, outcome: Outcome, at: datetime) -> PastOutcome:
        """Record what happened to a known order, and when (raises NotFound otherwise)."""
        past = self._orders.get(order_id)
        if past is None:
            raise NotFound(f"order {order_id!r} not found")
        event = PastOutcome(order_id, Outcome(outcome), utc(at))
        events = self._outcomes.setdefault(order_id, [])
        tainted_before = any(e.outcome in LINKED_OUTCOMES for e in events)
        bisect.insort(events, event, key=_outcome_sort_key)
        if event.outcome in LINKED_OUTCOMES and not tainted_before:
            for pair in key_pairs(past.keys):
                bisect.insort(self._tainted.setdefault(pair, []), (past.created_at, past.order_id))
        return event

    def lookup(self, keys: OrderKeys, before: datetime, since: datetime) -> HistorySnapshot:
        before, since = utc(before), utc(since)
        pairs = key_pairs(keys)
        linked = {
            i
            for pair in pairs
            if pair[0] != "account"
            for i in _ids_between(self._index, pair, since, before, limit=LINK_LIMIT)
        }
        account = (
            _ids_between(self._index, ("account", keys.account), None, before,
                         limit=ACCOUNT_LIMIT)
            if keys.account
            else []
        )
        linked |= {i for i in account if self._orders[i].created_at >= since}
        return HistorySnapshot(
            before=before,
            since=since,
            linked=self._as_of(linked, before),
            account=self._as_of(account, before),
            links=self._links(keys, pairs, before),
            customers=self._customers(keys, pairs, since, before),
        )

    def _links(
        self, keys: OrderKeys, pairs: list[tuple[str, str]], before: datetime
    ) -> tuple[OutcomeLink, ...]:
        found = []
        for kind, value in pairs:
            for i in self._tainted_among_latest((kind, value), before - HORIZON, before):
                past = self._orders[i]
                same = bool(keys.account) and past.account_id == keys.account
                found += [
                    OutcomeLink(kind, i, past.created_at, same, e.outcome, e.at)
                    for e in self._outcomes[i]
                    if e.outcome in LINKED_OUTCOMES and e.at < before
                ]
        return tuple(sorted(found, key=link_sort_key))

    def _tainted_among_latest(
        self, pair: tuple[str, str], since: datetime, before: datetime
    ) -> list[str]:
        """Ids of the orders with a linked outcome among the latest LINK_LIMIT under
        ``pair`` in ``[since, before)``, found without walking the untainted ones."""
        entries = self._index.get(pair, [])
        hi = bisect.bisect_left(entries, (before,))
        lo = max(bisect.bisect_left(entries, (since,)), hi - LINK_LIMIT)
        if lo >= hi:
            return []
        return _ids_between(self._tainted, pair, None, before, after=entries[lo])

    def _customers(
        self, keys: OrderKeys, pairs: list[tuple[str, str]], since: datetime, before: datetime
    ) -> tuple[tuple[str, int], ...]:
        me = identity_text(keys.account, keys.email)
        counts = []
        for pair in pairs:
            if pair[0] == "account":
                continue
            who = {
                identity_text(p.account_id, p.keys.email)
                for i in _ids_between(self._index, pair, since, before, limit=LINK_LIMIT)
                for p in (self._orders[i],)
            }
            counts.append((pair[0], len(who - {me})))
        return tuple(counts)

    def _as_of(self, ids: Iterable[str], before: datetime) -> tuple[PastOrder, ...]:
        """The orders with only the outcomes known before ``before``, oldest first."""
        out = []
        for i in ids:
            past = self._orders[i]
            known = tuple(e for e in self._outcomes.get(i, ()) if e.at < before)
            out.append(replace(past, outcomes=known) if known else past)
        return tuple(sorted(out, key=_order_sort_key))


def _ids_between(
    index: Mapping[tuple[str, str], list[tuple[datetime, str]]],
    pair: tuple[str, str],
    since: datetime | None,
    before: datetime,
    *,
    limit: int | None = None,
    after: tuple[datetime, str] | None = None,
) -> list[str]:
    """Order ids under ``pair`` created in ``[since, before)`` (``since=None``: all time),
    from the entry ``after`` on if given, the latest ``limit`` if given."""
    entries = index.get(pair)
    if not entries:
        return []
    lo = 0 if since is None else bisect.bisect_left(entries, (since,))
    if after is not None:
        lo = max(lo, bisect.bisect_left(entries, after))
    hi = bisect.bisect_left(entries, (before,))
    if limit is not None:
        lo = max(lo, hi - limit)
    return [order_id for _, order_id in entries[lo:hi]]


# --- features: pure functions of (order, keys, amount, snapshot) ---------------------------


def history_features(
    order: Order, keys: OrderKeys, amount: float | None, snapshot: HistorySnapshot,
    shared_places: frozenset[str] = frozenset(),
) -> dict[str, FeatureValue]:
    """Every history feature of one order, from what a view returned for it.

    Only events strictly before ``order.created_at`` count, whatever the
    snapshot holds; the order itself never counts. ``shared_places``: see
    :func:`fraud.links.linked_outcome_features`."""
    t = utc(order.created_at)
    earlier = [p for p in snapshot.linked if p.created_at < t and p.order_id != order.order_id]
    account = [p for p in snapshot.account if p.created_at < t and p.order_id != order.order_id]
    return {
        "account_age_days": account_age_days(order),
        **account_features(keys, t, account),
        **key_features(keys, t, earlier, dict(snapshot.customers)),
        **linked_outcome_features(
            t, snapshot.links, dict(snapshot.customers), owned_keys(order, keys, account),
            shared_places,
        ),
        **habit_features(order, keys, t, amount, account),
    }


def owned_keys(order: Order, keys: OrderKeys, account: list[PastOrder]) -> dict[str, datetime]:
    """Since when the account has had this order's keys: its e-mail and phone since it was
    opened (or first used), the others since its first earlier order with them."""
    if not keys.account:
        return {}
    owned: dict[str, datetime] = {}
    for p in account:  # oldest first
        for kind, value in keys.linked().items():
            if kind not in owned and getattr(p.keys, kind) == value:
                owned[kind] = p.created_at
    opened = order.customer.account_created_at
    if opened is not None:
        for kind in ("email", "phone"):
            if getattr(keys, kind):
                owned[kind] = min(owned.get(kind, utc(opened)), utc(opened))
    return owned


def account_age_days(order: Order) -> float | None:
    """Days from account creation to the order; ``None`` for a guest checkout."""
    created = order.customer.account_created_at
    if created is None:
        return None
    return (order.created_at - created).total_seconds() / 86400


def _within(orders: Iterable[PastOrder], t: datetime, window: timedelta) -> list[PastOrder]:
    return [p for p in orders if t - window <= p.created_at < t]


def _distinct(orders: Iterable[PastOrder], kind: str) -> int:
    return len({v for p in orders if (v := getattr(p.keys, kind))})


def account_features(
    keys: OrderKeys, t: datetime, account: list[PastOrder]
) -> dict[str, FeatureValue]:
    """Velocity of the account's own earlier orders (all ``None`` for guests)."""
    names = (
        "account_orders_1h",
        "account_orders_24h",
        "account_orders_30d",
        "account_distinct_cards_24h",
        "account_distinct_cards_30d",
        "account_distinct_ips_30d",
        "account_distinct_addresses_30d",
        "account_distinct_devices_30d",
        "account_prior_orders",
        "account_prior_paid_orders",
        "account_addresses_1h",
    )
    if not keys.account:
        return dict.fromkeys(names)
    hour, day = _within(account, t, HOUR), _within(account, t, DAY)
    month = _within(account, t, WINDOW)
    paid = sum(
        1 for p in account if any(e.outcome is Outcome.PAID and e.at < t for e in p.outcomes)
    )
    values = (
        len(hour),
        len(day),
        len(month),
        _distinct(day, "card"),
        _distinct(month, "card"),
        _distinct(month, "ip"),
        _distinct(month, "address"),
        _distinct(month, "device"),
        len(account),
        paid,
        len({p.keys.address for p in hour} | {keys.address}),
    )
    return dict(zip(names, values, strict=True))


def _sharing(orders: Iterable[PastOrder], kind: str, value: str) -> list[PastOrder]:
    return [p for p in orders if getattr(p.keys, kind) == value]


def _other_accounts(orders: Iterable[PastOrder], me: tuple[str, str]) -> int:
    return len({p.identity for p in orders} - {me})


def key_features(
    keys: OrderKeys, t: datetime, earlier: list[PastOrder], customers: Mapping[str, int]
) -> dict[str, FeatureValue]:
    """Earlier orders and other accounts sharing this order's IP, e-mail, phone...

    A key the order lacks (no phone, device or card) gives ``None``, not 0.
    ``customers``: other customers per key kind over the whole window, counted by
    the view (``earlier`` holds at most :data:`LINK_LIMIT` orders per key).
    """
    me = account_identity(keys)

    def shared(kind: str, window: timedelta) -> list[PastOrder] | None:
        value = getattr(keys, kind)
        return _sharing(_within(earlier, t, window), kind, value) if value else None

    def orders(kind: str, window: timedelta) -> int | None:
        found = shared(kind, window)
        return None if found is None else len(found)

    def accounts(kind: str, window: timedelta) -> int | None:
        found = shared(kind, window)
        return None if found is None else _other_accounts(found, me)

    return {
        "ip_orders_1h": orders("ip", HOUR),
        "ip_orders_24h": orders("ip", DAY),
        "ip_accounts_24h": accounts("ip", DAY),
        "ip_accounts_30d": customers.get("ip"),
        "email_accounts_30d": customers.get("email"),
        "phone_accounts_30d": customers.get("phone"),
        "device_accounts_30d": customers.get("device"),
        "device_orders_24h": orders("device", DAY),
        "address_accounts_30d": customers.get("address"),
        "card_accounts_30d": customers.get("card"),
        "card_orders_24h": orders("card", DAY),
    }


def habit_features(
    order: Order, keys: OrderKeys, t: datetime, amount: float | None, account: list[PastOrder]
) -> dict[str, FeatureValue]:
    """Does this order look like the account's earlier ones (country, amount)?"""
    if not keys.account or not account:
        return {"first_order_from_country": None, "amount_vs_account_median": None}
    country = str(order.shipping_address.country)
    amounts = [p.amount_eur for p in account if p.amount_eur is not None]
    median = statistics.median(amounts) if amounts else None
    ratio = amount / median if amount is not None and median else None
    return {
        "first_order_from_country": all(p.shipping_country != country for p in account),
        "amount_vs_account_median": ratio,
    }

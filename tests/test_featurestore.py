"""The in-memory history feature store against the store it follows.

The feature store must hand ``history_features`` exactly the snapshot the SQL view
would: on a mixed sample stored out of time order, with limits small enough that
it forgets entries, after other writers added orders and outcomes, and while
orders are scored at the same moment (SQLite and PostgreSQL).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import make_order
from helpers.races import at_once
from test_history import FX, T0, at, features_of, sample, store_all

import fraud.featurestore.memory
import fraud.history
import fraud.store.history
from fraud.featurestore import BoundedMemoryHistory, FollowedHistory
from fraud.history import WINDOW, HistorySnapshot, MemoryHistory
from fraud.keys import OrderKeys, order_keys
from fraud.store.statements import raw_connection

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class FollowedLookups:
    """The feature store as a HistoryView over an engine: one connection per look-up,
    as the service has one per scored order; remembers where each answer came from."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.followed = FollowedHistory(FX)
        self.followed.rebuild(engine)
        self.answered_from: list[str] = []

    def lookup(self, keys: OrderKeys, before: Any, since: Any) -> HistorySnapshot:
        with raw_connection(self.engine) as conn:
            view = self.followed.view(conn)
            found = view.lookup(keys, before, since)
        self.answered_from.append(view.answered_from)
        return found


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits small enough for the sample's busy keys to overflow them."""
    for module in (fraud.history, fraud.store.history, fraud.featurestore.memory):
        monkeypatch.setattr(module, "LINK_LIMIT", 3)
        monkeypatch.setattr(module, "ACCOUNT_LIMIT", 5)
    monkeypatch.setattr(fraud.featurestore.memory, "SLACK", 0)
    monkeypatch.setattr(fraud.store.history, "_STATEMENTS", {})  # compiled with the limits


@pytest.fixture
def stored(new_database: Callable[[str], str]) -> Iterator[Callable[..., Any]]:
    engines = []

    def build(backend: str, orders: list, outcomes: list) -> Any:
        sql = store_all(new_database(backend), orders, outcomes)
        engines.append(sql._source)
        return sql

    yield build
    for engine in engines:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_feature_store_gives_the_same_snapshots_and_features_as_the_store(
    backend: str, stored: Callable[..., Any]
) -> None:
    orders, outcomes = sample(n=120)
    shuffled = orders[:]
    random.Random(5).shuffle(shuffled)  # noqa: S311 - stored out of time order, like a backfill
    sql = stored(backend, shuffled, outcomes)
    followed = FollowedLookups(sql._source)
    for order in orders:
        keys, t = order_keys(order), order.created_at
        assert followed.lookup(keys, t, t - WINDOW) == sql.lookup(keys, t, t - WINDOW)
        assert features_of(order, followed) == features_of(order, sql), order.order_id
    assert set(followed.answered_from) == {"memory"}  # nothing was forgotten: all from memory


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_feature_store_that_forgot_entries_still_answers_like_the_store(
    backend: str, stored: Callable[..., Any], small_limits: None
) -> None:
    orders, outcomes = sample(n=120)
    sql = stored(backend, orders, outcomes)
    followed = FollowedLookups(sql._source)
    assert len(followed.followed.memory) < len(orders)  # it did forget
    for order in orders:  # most of them are older than what memory kept for their keys
        keys, t = order_keys(order), order.created_at
        assert followed.lookup(keys, t, t - WINDOW) == sql.lookup(keys, t, t - WINDOW)
    assert "store" in followed.answered_from  # the old ones were read from the store
    latest = max(orders, key=lambda o: o.created_at)
    later = latest.created_at + timedelta(seconds=1)
    followed.lookup(order_keys(latest), later, later - WINDOW)
    assert followed.answered_from[-1] == "memory"  # "now" is always answered from memory


@pytest.mark.parametrize("backend", BACKENDS)
def test_orders_and_outcomes_other_writers_commit_are_seen_at_the_next_lookup(
    backend: str, new_database: Callable[[str], str]
) -> None:
    url = new_database(backend)
    empty = store_all(url, [], [])
    followed = FollowedLookups(empty._source)
    orders, outcomes = sample(n=60)
    store_all(url, orders, outcomes)  # another writer: sessions on another engine
    try:
        for order in orders:
            keys, t = order_keys(order), order.created_at
            assert followed.lookup(keys, t, t - WINDOW) == empty.lookup(keys, t, t - WINDOW)
        assert set(followed.answered_from) == {"memory"}
    finally:
        empty._source.dispose()


def test_bounded_memory_answers_exactly_or_not_at_all(small_limits: None) -> None:
    """Added in random order past its limits, it either gives the unbounded answer or
    says it cannot; for a look-up after everything it has, it always can."""
    orders, outcomes = sample(n=300, seed=11)
    full = MemoryHistory.from_orders(orders, outcomes, FX)
    bounded = BoundedMemoryHistory(FX)
    shuffled = orders[:]
    random.Random(2).shuffle(shuffled)  # noqa: S311
    for order in shuffled:
        bounded.add(order)
    for event in outcomes:
        bounded.add_outcome_if_known(*event)
    assert len(bounded) < len(orders)
    for order in orders:
        keys, t = order_keys(order), order.created_at
        found = bounded.lookup_exact(keys, t, t - WINDOW)
        if found is not None:
            assert found == full.lookup(keys, t, t - WINDOW), order.order_id
    end = max(o.created_at for o in orders) + timedelta(days=1)
    for order in orders:
        keys = order_keys(order)
        assert bounded.lookup_exact(keys, end, end - WINDOW) == full.lookup(keys, end, end - WINDOW)


def test_entries_past_the_horizon_are_forgotten_and_old_lookups_go_to_the_store() -> None:
    """Orders over two years on keys that go quiet: the sweep frees what a look-up "now"
    never reads, and an order from before the cut-off is refused, not answered wrongly."""
    orders = [
        make_order(order_id=f"Y-{i}", created_at=at(days=-730 + 10 * i),
                   customer={"account_id": None, "account_created_at": None,
                             "email": f"quiet{i}@example.nl"},
                   ip_address=f"192.0.2.{i % 40}", device_id=None)
        for i in range(74)
    ]
    full = MemoryHistory.from_orders(orders, fx_rates=FX)
    bounded = BoundedMemoryHistory(FX)
    for order in orders:
        bounded.add(order)
    newest = max(o.created_at for o in orders)
    assert bounded.newest == newest
    cutoff = newest - fraud.featurestore.memory.HORIZON - timedelta(days=1)
    assert bounded.forget_before(cutoff) > 0
    assert len(bounded) < len(orders)
    for order in orders:
        keys = order_keys(order)
        later = newest + timedelta(hours=1)
        assert bounded.lookup_exact(keys, later, later - WINDOW) == full.lookup(
            keys, later, later - WINDOW)
        t = order.created_at
        found = bounded.lookup_exact(keys, t, t - WINDOW)
        assert found is None or found == full.lookup(keys, t, t - WINDOW)
        if t < cutoff:
            assert found is None


def test_an_outcome_reported_twice_counts_once_in_memory() -> None:
    order = make_order(created_at=at())
    memory = BoundedMemoryHistory(FX)
    memory.add(order)
    event = (order.order_id, fraud.history.Outcome.CHARGEBACK, T0 + timedelta(days=1))
    memory.add_outcome_if_known(*event)
    memory.add_outcome_if_known(*event)
    later = T0 + timedelta(days=2)
    snapshot = memory.lookup_exact(order_keys(order), later, later - WINDOW)
    assert snapshot is not None
    assert len(snapshot.linked[0].outcomes) == 1
    assert memory.add_outcome_if_known("unknown", *event[1:]) is None


# --- the running service -------------------------------------------------------------------


def _runtime(url: str, data_dir: Path, backend: str) -> Any:
    from fraud.runtime import Runtime
    from fraud.settings import Settings

    runtime = Runtime.start(Settings(data_dir=data_dir, database_url=url, history_backend=backend,
                                     _env_file=None))
    if runtime.features is not None:
        assert runtime.features.wait_ready(60)
    return runtime


@pytest.mark.parametrize("backend", BACKENDS)
def test_orders_scored_at_the_same_moment_are_all_seen_by_the_next_one(
    backend: str, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    """No lost update: every order stored by racing requests counts for the next."""
    runtime = _runtime(new_database(backend), tmp_path, "memory")
    try:
        shared = {"ip_address": "198.51.100.77", "device_id": "dev-race"}

        def score(i: int) -> Any:
            order = make_order(order_id=f"RACE-{i}", created_at=at(minutes=i), **shared)
            return runtime.score(order)

        results, errors = at_once(8, score)
        assert errors == []
        assert len(results) == 8
        last = runtime.score(make_order(order_id="RACE-last", created_at=at(hours=1), **shared))
        assert last.features["ip_orders_24h"] == 8
        assert last.features["device_orders_24h"] == 8
    finally:
        runtime.close()


def test_memory_and_store_backends_score_alike(
    new_database: Callable[[str], str], tmp_path: Path
) -> None:
    orders, outcomes = sample(n=40, seed=3)
    orders.sort(key=lambda o: o.created_at)
    runtimes = [
        _runtime(new_database("sqlite"), tmp_path / backend, backend)
        for backend in ("memory", "store")
    ]
    try:
        for order in orders:
            memory, store = (r.score(order) for r in runtimes)
            assert memory.features == store.features, order.order_id
            assert memory.decision == store.decision
        followed = runtimes[0].features
        assert followed is not None
        assert len(followed.memory) == 39  # the last one is read at the next look-up
    finally:
        for runtime in runtimes:
            runtime.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_services_on_one_store_see_each_others_orders_and_outcomes(
    backend: str, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    """Two runtimes (two workers or hosts: each its own feature store) on one store;
    orders scored by one, at once or in turn, count for the other's next order."""
    url = new_database(backend)
    one, two = (_runtime(url, tmp_path / name, "memory") for name in ("one", "two"))
    try:
        shared = {"ip_address": "198.51.100.9", "device_id": "dev-two"}

        def score(i: int) -> Any:
            runtime = (one, two)[i % 2]
            return runtime.score(make_order(order_id=f"TWO-{i}", created_at=at(minutes=i),
                                            **shared))

        results, errors = at_once(6, score)
        assert errors == [] and len(results) == 6
        first = one.score(make_order(order_id="TWO-a", created_at=at(hours=1), **shared))
        assert first.features["ip_orders_24h"] == 6
        two.record_outcome("TWO-0", fraud.history.Outcome.CHARGEBACK, T0 + timedelta(hours=2))
        second = one.score(make_order(order_id="TWO-b", created_at=at(hours=3), **shared))
        assert second.features["ip_orders_24h"] == 7
        assert second.features["linked_fraud_weight"] > first.features["linked_fraud_weight"]
    finally:
        one.close()
        two.close()

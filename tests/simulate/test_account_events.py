"""The simulator's account events: valid, never after the order they lead to, a takeover's
steps before its order, and the same steps now and then from honest customers."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from fraud.events.schema import parse_event
from fraud.simulate import Simulation, simulate


@pytest.fixture(scope="module")
def events(sim: Simulation) -> list[dict]:
    return sim.account_events()


@pytest.fixture(scope="module")
def by_account(events: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        out[event["account_id"]].append(event)
    return out


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_every_event_is_a_valid_post_body_with_a_unique_id(events: list[dict]) -> None:
    parsed = [parse_event(e) for e in events]
    assert len({e.event_id for e in parsed}) == len(parsed)
    assert [e.occurred_at for e in parsed] == sorted(e.occurred_at for e in parsed)


def test_events_come_from_their_own_random_stream(sim: Simulation) -> None:
    again = simulate(20_000, days=60, seed=11)
    assert list(again.order_lines())[:50] == list(sim.order_lines())[:50]
    assert again.account_events()[:50] == sim.account_events()[:50]


def test_a_takeover_logs_in_from_its_own_device_before_each_order(
    orders: list[dict], by_account: dict[str, list[dict]], sim: Simulation
) -> None:
    truth = sim.truth().set_index("order_id")["pattern"]
    takeovers = [o for o in orders if truth[o["order_id"]] == "account_takeover"]
    assert len(takeovers) >= 10
    changed = 0
    for order in takeovers:
        t = _at(order["created_at"])
        before = [e for e in by_account[order["customer"]["account_id"]]
                  if t - timedelta(hours=2) < _at(e["occurred_at"]) < t]
        logins = [e for e in before if e["type"] == "login_succeeded"]
        assert any(e.get("device_id") == order.get("device_id") for e in logins)
        assert any(e["ip_address"] == order["ip_address"] for e in logins)
        changed += any(e["type"] in ("password_changed", "email_changed", "address_added")
                       for e in before)
    assert changed >= len(takeovers) // 2  # most change something; a careful few do not


def test_honest_customers_do_each_takeover_step_now_and_then(
    orders: list[dict], events: list[dict], sim: Simulation
) -> None:
    truth = sim.truth().set_index("order_id")["pattern"]
    takeover_accounts = {o["customer"].get("account_id") for o in orders
                         if truth[o["order_id"]] == "account_takeover"}
    honest = Counter(e["type"] for e in events if e["account_id"] not in takeover_accounts)
    for kind in ("login_failed", "password_reset_requested", "password_changed",
                 "address_added", "address_changed", "email_changed"):
        assert honest[kind] >= 5, kind
    assert honest["login_succeeded"] > len(orders) / 2


def test_no_order_is_followed_by_an_event_it_could_see_as_its_own(
    orders: list[dict], events: list[dict]
) -> None:
    """Each order's features read events strictly before it: the simulator must not
    count on an event at the order's own second either."""
    stamps = {(e["account_id"], _at(e["occurred_at"])) for e in events}
    for order in orders[:3000]:
        account = order["customer"].get("account_id")
        if account is not None:
            assert (account, _at(order["created_at"])) not in stamps


def test_fraud_simulate_writes_the_events_beside_the_orders_and_says_where(tmp_path) -> None:
    from typer.testing import CliRunner

    from fraud.cli import app
    from fraud.events.files import read_event_file

    out = tmp_path / "shop_orders.jsonl.gz"
    result = CliRunner().invoke(app, ["simulate", "--orders", "300", "--days", "10",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "shop_events.jsonl.gz"
    events = read_event_file(written)
    assert f"{len(events)} account events (logins and account changes) -> {written}" in (
        result.stdout)
    assert len(events) > 100


def test_pooled_shops_keep_their_events_apart(tmp_path) -> None:
    from fraud.simulate.family import pooled, pooled_events, simulate_family

    runs = simulate_family(2, 200, days=10, seed=3)
    orders, _, _ = pooled(runs)
    events = pooled_events(runs)
    tags = {e["event_id"].split("-")[0] for e in events}
    assert tags == {"S1", "S2"}
    accounts = {o["customer"].get("account_id") for o in orders} - {None}
    assert {e["account_id"] for e in events} >= accounts  # every account has logins
    assert all(e["account_id"].split("-")[0] == e["event_id"].split("-")[0] for e in events)

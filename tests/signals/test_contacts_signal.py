"""Verification contacts count as history: a customer who confirmed last time is less
suspicious, a denied order is a fraud signal for the orders sharing a key with it; only
contacts known strictly before the order count; online and batch agree."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import guest, make_order

from fraud.keys import order_keys
from fraud.settings import Settings
from fraud.signals import Context, compute_signals
from fraud.signals.contacts import (
    EMPTY,
    RESOURCE,
    MemoryContacts,
    PastContact,
    contact_features,
    customer_key,
)

sys.path.insert(0, str(Path(__file__).parents[1] / "evidence"))
sys.path.insert(0, str(Path(__file__).parents[1] / "review"))

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 13, 3, tzinfo=UTC)  # the factory order's created_at


def past(order_overrides: dict, result: str, at: datetime = T0,
         recorded: datetime | None = None) -> PastContact:
    order = make_order(**order_overrides)
    keys = order_keys(order)
    return PastContact(order.order_id, customer_key(keys.account, keys.email), result, at,
                       recorded or at, keys)


STRANGER = {
    "customer": {"account_id": "C-777", "email": "someone.else@example.org", "phone": None},
    "ip_address": "203.0.113.9",
    "device_id": "dev-other",
    "payment": {"card_last4": "9999", "card_bin": "411111"},
    "shipping_address": {"street": "Andere straat", "house_number": "9", "postal_code":
                         "1011AB", "city": "Amsterdam", "country": "NL"},
}


def features(contacts: list[PastContact], **order: object) -> dict:
    o = make_order(**order)
    return contact_features(order_keys(o), o.order_id, o.created_at, contacts)


def test_a_customer_who_confirmed_last_time_is_recognised():
    log = [past({}, "denied", T0), past({}, "confirmed", T0 + timedelta(days=1))]
    got = features(log[1:])
    assert got["customer_confirmed_contacts"] == 1
    assert got["customer_last_contact_confirmed"] is True
    # a no-answer after the confirmation: the latest contact is no longer a confirmation
    later = [*log[1:], past({}, "no_answer", T0 + timedelta(days=2))]
    assert features(later)["customer_last_contact_confirmed"] is False


def test_a_denied_order_marks_orders_sharing_a_key_with_it():
    stolen_card = dict(STRANGER, payment={"card_bin": "535522", "card_last4": "4242"})
    got = features([past(stolen_card, "denied")])
    assert got["linked_denied_orders"] == 1
    assert got["linked_denied_via"] == "card"
    # the victim's own later order shares the account: that counts too
    assert features([past({}, "denied")])["linked_denied_via"].startswith("account")


def test_denials_and_confirmations_of_unrelated_customers_do_not_count():
    got = features([past(STRANGER, "denied"), past(STRANGER, "confirmed")])
    assert got == EMPTY


def test_only_contacts_known_before_the_order_count():
    at_the_time = past({}, "confirmed", NOW)  # made at the order's very time
    recorded_later = past({}, "confirmed", NOW - timedelta(hours=1), recorded=NOW)
    assert features([at_the_time, recorded_later]) == EMPTY
    known = past({}, "confirmed", NOW - timedelta(hours=1), recorded=NOW - timedelta(seconds=1))
    assert features([known])["customer_confirmed_contacts"] == 1


def test_a_contact_about_the_order_itself_does_not_count_for_it():
    o = make_order()
    keys = order_keys(o)
    own = PastContact(o.order_id, customer_key(keys.account, keys.email), "denied", T0, T0, keys)
    assert contact_features(keys, o.order_id, o.created_at, [own]) == EMPTY


def test_a_guests_contacts_follow_the_e_mail_address():
    first = past(guest(customer={"email": "Guest.Buyer+x@gmail.com"}), "confirmed")
    got = features([first], **guest(customer={"email": "guestbuyer@gmail.com"}))
    assert got["customer_last_contact_confirmed"] is True


def test_without_a_contact_log_the_features_are_empty_and_the_signal_not_unavailable():
    out = compute_signals(make_order(), Context(settings=Settings(_env_file=None)))
    assert {k: out.values[k] for k in EMPTY} == EMPTY
    assert "contacts" not in out.unavailable


def test_batch_contacts_from_records_feed_the_registered_signal():
    denied = make_order(**{**STRANGER, "device_id": "dev-7f3a9c2e41b8"},
                        created_at="2026-11-21T10:00:00+01:00")
    view = MemoryContacts.from_records(
        [{"order_id": denied.order_id, "result": "denied", "contacted_at": "2026-11-22T09:00Z"}],
        [denied],
    )
    ctx = Context(settings=Settings(_env_file=None), extras={RESOURCE: view})
    out = compute_signals(make_order(), ctx)
    assert (out.values["linked_denied_orders"], out.values["linked_denied_via"]) == (1, "device")


# -- online, through the store --------------------------------------------------------


@pytest.fixture
def runtime(db_url: str, tmp_path: Path):  # noqa: ANN201
    from evidence_helpers import start_runtime

    rt = start_runtime(db_url, tmp_path)
    yield rt
    rt.close()


def _record(runtime, order_id: str, result: str, at: datetime) -> None:  # noqa: ANN001
    from holding import PASSWORD

    from fraud.review.actions import ReviewAction, act
    from fraud.review.contacts import Channel, ContactIn, ContactResult
    from fraud.review.roles import Role
    from fraud.review.users import add_user

    with runtime.sessions() as session:
        user = add_user(session, f"rita{order_id[-6:]}", Role.REVIEWER, PASSWORD)
        act(session, user, order_id, ReviewAction.CONTACT, version=None, reason="check",
            contact=ContactIn(Channel.EMAIL, ContactResult(result), at))


def test_online_scoring_reads_denials_from_the_store_and_batch_agrees(runtime):
    from holding import hold

    from fraud.store.contact_history import SqlContacts, stored_contacts

    with runtime.sessions() as session:  # held for review, as contacted orders are
        victim = hold(session, created_at="2026-11-20T10:00:00+01:00")
    _record(runtime, victim, "denied", datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    # the contact is recorded now, so it counts for orders placed from now on
    fraudster = make_order(**{**STRANGER, "device_id": "dev-7f3a9c2e41b8"},
                           created_at=(datetime.now(UTC) + timedelta(seconds=1)).isoformat())
    stored = runtime.score(fraudster)
    with runtime.sessions() as session:
        memory = MemoryContacts(stored_contacts(session))
    values = stored.features
    assert values["linked_denied_orders"] == 1 and values["linked_denied_via"] == "device"
    assert "linked_denied_order" in [r.code for r in stored.decision.reasons]
    # the same features from the store's view and from memory
    keys = order_keys(fraudster)
    for view in (SqlContacts(runtime.engine), memory):
        got = contact_features(keys, fraudster.order_id, fraudster.created_at,
                               view.lookup(keys, fraudster.created_at))
        assert got == {k: values[k] for k in EMPTY}
    # an order placed before the denial was recorded does not see it
    earlier = make_order(**{**STRANGER, "device_id": "dev-7f3a9c2e41b8"}, order_id="O-EARLY",
                         created_at="2026-11-21T09:30:00+01:00")
    assert contact_features(keys, earlier.order_id, earlier.created_at,
                            SqlContacts(runtime.engine).lookup(keys, earlier.created_at)) == EMPTY


def test_after_erasure_a_denial_links_nothing_and_the_log_forgets_the_customer(runtime):
    from holding import hold
    from sqlalchemy import select

    from fraud.privacy.erase import erase_customer
    from fraud.store.contact_history import SqlContacts
    from fraud.store.review_tables import verification_contacts

    with runtime.sessions() as session:
        victim = hold(session, **guest(customer={"email": "victim@example.org"}))
    _record(runtime, victim, "denied", datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    later = make_order(**{**STRANGER, "device_id": "dev-7f3a9c2e41b8"},
                       created_at=(datetime.now(UTC) + timedelta(seconds=1)).isoformat())
    keys = order_keys(later)
    view = SqlContacts(runtime.engine)
    assert contact_features(keys, later.order_id, later.created_at,
                            view.lookup(keys, later.created_at))["linked_denied_orders"] == 1
    with runtime.sessions() as session:
        erase_customer(session, email="victim@example.org", by="dpo")
        [row] = session.execute(select(verification_contacts)).all()
    assert "victim" not in row.customer_key and row.reason == "[erased]"
    assert contact_features(keys, later.order_id, later.created_at,
                            view.lookup(keys, later.created_at)) == EMPTY

"""Verification contacts: recorded through act(), by phone only when the order has one,
kept in the customer's contact log and shown on the customer's later orders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import guest
from holding import hold

from fraud.errors import InvalidInput
from fraud.review.actions import ReviewAction, act
from fraud.review.audit import entries_for
from fraud.review.contacts import Channel, ContactIn, ContactResult, contact_log
from fraud.review.errors import Forbidden
from fraud.review.states import get_state

WHEN = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def contact(channel=Channel.PHONE, result=ContactResult.CONFIRMED) -> ContactIn:  # noqa: ANN001
    return ContactIn(channel, result, WHEN)


def test_a_contact_is_in_the_log_and_the_audit_and_changes_no_state(session, people):
    order_id = hold(session)
    act(session, people["rita"], order_id, ReviewAction.CONTACT, version=None,
        reason="billing and shipping differ", contact=contact())
    [logged] = contact_log(session, order_id)
    assert (logged.channel, logged.result, logged.actor, logged.reason, logged.contacted_at) == (
        Channel.PHONE, ContactResult.CONFIRMED, "rita", "billing and shipping differ", WHEN)
    [entry] = entries_for(session, order_id)
    assert entry.action == "contact" and entry.reason.startswith("by phone, confirmed:")
    assert get_state(session, order_id).version == 0


def test_the_log_follows_the_customer_to_later_orders(session, people):
    first = hold(session, created_at="2026-11-20T10:00:00+01:00")
    act(session, people["rita"], first, ReviewAction.CONTACT, version=None,
        reason="large first order", contact=contact(result=ContactResult.DENIED))
    later = hold(session, created_at="2026-11-27T10:00:00+01:00")
    other = hold(session, customer={"account_id": "C-999", "email": "other@example.org"})
    assert [c.order_id for c in contact_log(session, later)] == [first]
    assert contact_log(session, other) == []


def test_a_guests_log_is_kept_by_e_mail(session, people):
    first = hold(session, **guest(customer={"email": "Guest.Buyer+x@example.com"}))
    act(session, people["rita"], first, ReviewAction.CONTACT, version=None,
        reason="guest, new address", contact=contact(Channel.EMAIL, ContactResult.AWAITING_REPLY))
    again = hold(session, **guest(customer={"email": "guest.buyer@example.com"}))
    assert [c.result for c in contact_log(session, again)] == [ContactResult.AWAITING_REPLY]


def test_without_a_phone_number_the_contact_is_by_e_mail(session, people):
    order_id = hold(session, customer={"phone": None})
    with pytest.raises(InvalidInput, match="no phone number; contact by e-mail"):
        act(session, people["rita"], order_id, ReviewAction.CONTACT, version=None,
            reason="check", contact=contact(Channel.PHONE))
    act(session, people["rita"], order_id, ReviewAction.CONTACT, version=None,
        reason="check", contact=contact(Channel.EMAIL, ContactResult.NO_ANSWER))
    assert [c.channel for c in contact_log(session, order_id)] == [Channel.EMAIL]


def test_a_contact_needs_its_details_a_reason_and_a_role_that_acts(session, people):
    order_id = hold(session)
    with pytest.raises(InvalidInput, match="the reason for the contact is required"):
        act(session, people["rita"], order_id, ReviewAction.CONTACT, version=None,
            contact=contact())
    with pytest.raises(InvalidInput, match="contact:"):
        act(session, people["rita"], order_id, ReviewAction.CONTACT, version=None, reason="x")
    with pytest.raises(Forbidden):
        act(session, people["ann"], order_id, ReviewAction.CONTACT, version=None, reason="x",
            contact=contact())
    assert contact_log(session, order_id) == []

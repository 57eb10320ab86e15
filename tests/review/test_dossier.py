"""The order page's dossier: signals in words, places, history and linked orders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import guest
from holding import hold

from fraud.domain import Outcome
from fraud.errors import NotFound
from fraud.review.dossier import dossier
from fraud.store import repository


def test_linked_orders_share_a_key_and_show_their_outcomes(session):
    fraud = hold(session, **guest(customer={"email": "drop.box@example.com"},
                                  created_at="2026-11-20T10:00:00+01:00",
                                  shipping_address={"street": "Kanaalweg", "house_number": "9"}))
    repository.record_outcome(session, fraud, Outcome.CHARGEBACK,
                              datetime(2026, 11, 24, tzinfo=UTC))
    unrelated = hold(session, **guest(
        customer={"email": "someone.else@example.org", "phone": None},
        ip_address="198.51.100.9", device_id="dev-other",
        payment={"card_bin": "411111", "card_last4": "1111"},
        shipping_address={"street": "Elders", "house_number": "1"}))
    me = hold(session, customer={"email": "Drop.Box+x@example.com"},
              shipping_address={"street": "Kanaalweg", "house_number": "9"})
    d = dossier(session, me)
    linked = {o.order_id: o for o in d.linked}
    assert unrelated not in linked
    assert fraud in linked
    assert {"email", "address"} <= set(linked[fraud].via)
    assert linked[fraud].outcomes == (Outcome.CHARGEBACK,) and linked[fraud].bad
    assert d.shared_keys["email"] == 1


def test_earlier_orders_of_the_same_account_only(session):
    first = hold(session, created_at="2026-11-01T10:00:00+01:00")
    later = hold(session, created_at="2026-11-28T10:00:00+01:00")
    me = hold(session, created_at="2026-11-25T14:03:00+01:00")
    d = dossier(session, me)
    assert [o.order_id for o in d.earlier] == [first]
    assert later not in [o.order_id for o in d.earlier]


def test_signals_come_with_their_descriptions_and_places(session):
    me = hold(session, features={"ip_country": "DE", "ip_city": "Berlin",
                                 "billing_country": "NL", "billing_city": "Utrecht",
                                 "ip_billing_distance_km": 575.4, "account_age_days": 3})
    d = dossier(session, me)
    described = {s.name: s.description for s in d.signals}
    assert "GeoIP" in described["ip_country"]
    assert d.places[0].country == "DE" and d.places[0].city == "Berlin"
    assert d.distances[0].km == pytest.approx(575.4)
    assert d.decision is not None and d.rule_hits[0].rule_id == "ip_far_from_billing"


def test_an_unknown_order_is_not_found(session):
    with pytest.raises(NotFound):
        dossier(session, "O-nope")

"""Cases: opened with orders, changed, noted, each change an evidence record; linked
orders suggested through shared keys; concurrent changes settle cleanly."""

from __future__ import annotations

import pytest
from evidence_helpers import records, trusted
from factories import guest, make_order
from helpers.races import at_once

from fraud.cases import (
    add_note,
    add_orders,
    get_case,
    open_case,
    set_owner,
    set_status,
    suggest_orders,
)
from fraud.errors import InvalidInput, NotFound
from fraud.evidence import verify_chain
from fraud.runtime import Runtime


def scored(runtime: Runtime, **overrides: object) -> str:
    order = make_order(**overrides)
    runtime.score(order)
    return order.order_id


def test_a_case_is_opened_changed_and_noted_each_step_recorded(runtime: Runtime) -> None:
    a, b = scored(runtime), scored(runtime)
    with runtime.sessions() as session:
        case = open_case(session, "Brake pads to a forwarder", "alice", [a])
        add_orders(session, case.id, [b, a], "bob")
        set_status(session, case.id, "reported", "alice", authority_ref="PR-2026-0042")
        set_owner(session, case.id, "carol", "alice")
        add_note(session, case.id, "carol", "Customer denies ordering.")
        case = get_case(session, case.id)
        rows = records(session)
        report = verify_chain(session, trusted(runtime))

    assert case.order_ids == (a, b)
    assert (case.status, case.authority_ref, case.owner) == ("reported", "PR-2026-0042", "carol")
    assert [n.text for n in case.notes] == ["Customer denies ordering."]
    case_kinds = [r.kind for r in rows if r.subject == f"case:{case.id}"]
    assert case_kinds == ["case_opened", "case_order_added", "case_order_added",
                          "case_status", "case_owner", "case_note"]
    assert "Customer denies" not in " ".join(r.body for r in rows)
    assert report.ok, report.problems


def test_bad_case_input_is_refused_with_a_reason(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        with pytest.raises(NotFound, match="O-nowhere"):
            open_case(session, "x", "alice", ["O-nowhere"])
        case = open_case(session, "x", "alice")
        with pytest.raises(InvalidInput, match="open, reported, closed"):
            set_status(session, case.id, "solved", "alice")
        with pytest.raises(InvalidInput, match="title"):
            open_case(session, "  ", "alice")
        with pytest.raises(NotFound, match="case 999"):
            get_case(session, 999)


def test_orders_sharing_keys_are_suggested_strongest_first(runtime: Runtime) -> None:
    fraud = scored(runtime, **guest(customer={"email": "ring@example.net"}, device_id="dev-ring",
                                     ip_address="198.51.100.7"))
    same_device_and_email = scored(runtime, **guest(
        customer={"email": "ring@example.net"}, device_id="dev-ring",
        ip_address="198.51.100.99"))
    same_ip_only = scored(runtime, **guest(customer={"email": "other@example.com"},
                                           device_id="dev-other", ip_address="198.51.100.7"))
    unrelated = scored(runtime, **guest(
        customer={"email": "nobody@example.org", "phone": None}, device_id="dev-x",
        ip_address="192.0.2.1", payment={"card_bin": "400000", "card_last4": "0001"},
        shipping_address={"street": "Elsewhere", "postal_code": "1011 AB",
                          "city": "Amsterdam"}))
    with runtime.sessions() as session:
        found = suggest_orders(session, (fraud,))

    ids = [s.order_id for s in found]
    assert ids.index(same_device_and_email) < ids.index(same_ip_only)
    assert unrelated not in ids and fraud not in ids
    strongest = found[0]
    assert strongest.order_id == same_device_and_email
    assert {"device", "email"} <= set(strongest.via)


def test_the_same_order_added_by_four_reviewers_at_once_is_held_once(
    runtime: Runtime,
) -> None:
    order_id = scored(runtime)
    with runtime.sessions() as session:
        case_id = open_case(session, "race", "alice").id

    def add(i: int) -> tuple[str, ...]:
        with runtime.sessions() as session:
            return add_orders(session, case_id, [order_id], f"reviewer-{i}").order_ids

    results, errors = at_once(4, add)

    assert errors == []
    assert all(r == (order_id,) for r in results)
    with runtime.sessions() as session:
        added = [r for r in records(session) if r.kind == "case_order_added"]
        assert len(added) == 1
        assert verify_chain(session, trusted(runtime)).ok

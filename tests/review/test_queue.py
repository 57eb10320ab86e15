"""The queue: only held orders, newest or riskiest first, keyset pages, filters, search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from holding import hold

from fraud.domain import Action
from fraud.errors import InvalidInput
from fraud.review.actions import ReviewAction, act
from fraud.review.queue import QueueFilter, Sort, StatusFilter, next_in_queue, queue_page

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def ids(session, **wanted) -> list[str]:  # noqa: ANN001
    return [r.order_id for r in queue_page(session, QueueFilter(**wanted)).rows]


@pytest.fixture
def five(session) -> list[str]:
    """Five held orders, one a minute; scores 50, 70, 60, 90, 40; plus one approved."""
    hold(session, action=Action.APPROVE, score=10, decided_at=T0)
    return [
        hold(session, score=score, decided_at=T0 + timedelta(minutes=i))
        for i, score in enumerate([50, 70, 60, 90, 40])
    ]


def test_only_held_orders_newest_first(session, five):
    assert ids(session) == five[::-1]


def test_riskiest_first(session, five):
    assert ids(session, sort=Sort.RISKIEST) == [five[3], five[1], five[2], five[0], five[4]]


@pytest.mark.parametrize("sort", list(Sort))
def test_keyset_pages_cover_every_order_once(session, five, sort):
    seen: list[str] = []
    after = None
    for _ in range(5):
        page = queue_page(session, QueueFilter(sort=sort, limit=2, after=after))
        seen += [r.order_id for r in page.rows]
        after = page.next_after
        if after is None:
            break
    assert seen == ids(session, sort=sort) and len(seen) == 5


def test_orders_with_equal_keys_are_paged_without_loss(session):
    same = [hold(session, score=55, decided_at=T0) for _ in range(5)]
    for sort in Sort:
        first = queue_page(session, QueueFilter(sort=sort, limit=3))
        second = queue_page(session, QueueFilter(sort=sort, limit=3, after=first.next_after))
        got = [r.order_id for r in first.rows + second.rows]
        assert sorted(got) == sorted(same) and second.next_after is None


def test_a_forged_cursor_is_a_clear_error(session, five):
    with pytest.raises(InvalidInput, match="after: not a page cursor"):
        queue_page(session, QueueFilter(after="yesterday"))


def test_filters_on_score_amount_country_and_reason(session):
    cheap = hold(session, score=45, payment={"amount": "20.00"})
    berlin = {"country": "DE", "postal_code": "10115", "city": "Berlin", "street": "Linden"}
    german = hold(session, score=65, shipping_address=berlin)
    odd = hold(session, score=85, codes=("many_cards_24h",), payment={"amount": "900.00"})
    assert ids(session, min_score=60) == [odd, german]
    assert ids(session, max_amount=50) == [cheap]
    assert ids(session, min_amount=500) == [odd]
    assert ids(session, country="de") == [german]
    assert ids(session, reason="many_cards_24h") == [odd]
    assert ids(session, reason="many_cards") == []


def test_search_by_order_id_email_name_and_ip(session):
    target = hold(session, customer={"name": "Petra Vlaming", "email": "P.Vlaming+shop@gmail.com"},
                  ip_address="203.0.113.77")
    hold(session)
    assert ids(session, search=target) == [target]
    assert ids(session, search="pvlaming@gmail.com") == [target]
    assert ids(session, search="vlaming") == [target]
    assert ids(session, search="203.0.113.77") == [target]
    assert ids(session, search="100%_") == []


def test_status_filters_follow_the_actions(session, people, five):
    act(session, people["rita"], five[0], ReviewAction.APPROVE, version=0)
    act(session, people["rita"], five[1], ReviewAction.ESCALATE, version=0, reason="senior")
    act(session, people["rob"], five[2], ReviewAction.CLAIM, version=0)
    assert five[0] not in ids(session)
    assert ids(session, status=StatusFilter.APPROVED) == [five[0]]
    assert ids(session, status=StatusFilter.ESCALATED) == [five[1]]
    assert ids(session, status=StatusFilter.CLAIMED) == [five[2]]
    assert len(ids(session, status=StatusFilter.ALL)) == 5
    row = next(r for r in queue_page(session, QueueFilter()).rows if r.order_id == five[2])
    assert (row.claimed_by, row.version) == ("rob", 1)


def test_rows_carry_what_the_queue_shows(session):
    order_id = hold(session, score=77, codes=("a_rule", "b_rule", "c_rule", "d_rule"),
                    customer={"name": "Jan Smit"})
    [row] = queue_page(session, QueueFilter()).rows
    assert (row.order_id, row.score, row.name, row.billing_country) == (order_id, 77, "Jan Smit",
                                                                       "NL")
    assert [r.code for r in row.reasons] == ["a_rule", "b_rule", "c_rule"]
    assert row.amount_eur == pytest.approx(104.85)


def test_next_goes_down_the_default_queue(session, people, five):
    newest_first = five[::-1]
    assert next_in_queue(session, newest_first[0]) == newest_first[1]
    act(session, people["rita"], newest_first[1], ReviewAction.APPROVE, version=0)
    assert next_in_queue(session, newest_first[0]) == newest_first[2]  # decided ones skipped
    assert next_in_queue(session, newest_first[-1]) is None


def test_search_and_filters_find_the_one_match_among_all_held_orders(session):
    """The match is the oldest and least risky of more held orders than three pages hold:
    the search and filters run over every held order, not over a page already read."""
    oldest = hold(session, score=41, decided_at=T0 - timedelta(days=30),
                  customer={"name": "Zoë Ängström"}, payment={"amount": "1234.00"})
    for i in range(3 * 5 + 1):
        hold(session, score=60 + i % 30, decided_at=T0 + timedelta(minutes=i))
    pages = [queue_page(session, QueueFilter(limit=5))]
    assert oldest not in [r.order_id for r in pages[0].rows]
    for sort in Sort:
        assert ids(session, search="ängström", limit=5, sort=sort) == [oldest]
        assert ids(session, search="NGSTR", limit=5, sort=sort) == [oldest]  # ASCII part
        assert ids(session, min_amount=1000, limit=5, sort=sort) == [oldest]
        assert ids(session, max_score=41, limit=5, sort=sort) == [oldest]
        assert ids(session, min_amount=1000, max_score=45, search="zoë", limit=5,
                   sort=sort) == [oldest]

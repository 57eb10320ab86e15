"""Shadow mode: a candidate rule set decides live orders, stored apart, never acting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import make_order
from sqlalchemy import inspect, select

from fraud.domain import Action, Outcome
from fraud.history import MemoryHistory
from fraud.replay.shadow import ShadowRunner
from fraud.replay.text import format_shadow_report
from fraud.rules import parse_rules
from fraud.scoring import score_order
from fraud.settings import Settings
from fraud.signals import Context
from fraud.store.db import current_revision, upgrade_database
from fraud.store.repository import find_decision, record_outcome, save_decision
from fraud.store.shadow import shadow_decisions, shadow_report

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

LIVE = """
version: "live.1"
rules:
  - id: huge_order
    description: A very large order.
    when: amount_eur >= 2000
    effect: review
    message: Order of {amount_eur:,.0f} EUR.
"""
CANDIDATE = """
version: "cand.1"
rules:
  - id: big_order
    description: A large order.
    when: amount_eur >= 500
    effect: review
    points: 10
    message: Order of {amount_eur:,.0f} EUR.
  - id: express
    description: Express shipping.
    when: shipping_express
    effect: points
    points: 5
    message: Express shipping.
"""


@pytest.fixture(scope="module")
def rules():  # noqa: ANN201
    return parse_rules(LIVE), parse_rules(CANDIDATE)


def _ctx(*orders) -> Context:  # noqa: ANN002
    return Context(settings=Settings(), history=MemoryHistory.from_orders(orders))


def _order(i: int, amount: str, minutes: int = 0):  # noqa: ANN202
    return make_order(order_id=f"O-SH-{i}", payment={"amount": amount},
                      created_at=(T0 + timedelta(minutes=minutes)).isoformat(),
                      shipping_method="express" if i % 2 else "standard")


def test_shadow_decision_equals_scoring_the_order_with_the_candidate_rules(rules) -> None:
    live_rules, candidate = rules
    orders = [_order(i, a) for i, a in enumerate(["900.00", "40.00", "2500.00", "600.00"])]
    ctx = _ctx(*orders)
    runner = ShadowRunner(candidate)
    for order in orders:
        live = score_order(order, ctx, live_rules)
        expected = score_order(order, ctx, candidate).decision
        assert runner.evaluate(order, ctx, live) == expected
        assert runner.evaluate(order, ctx) == expected
        assert runner.evaluate(order, ctx, live).versions.rules == candidate.version


class _Model:
    version = "m.1"

    def predict_one(self, features):  # noqa: ANN001, ANN201
        return 0.25, []


def test_shadow_keeps_the_live_model_probability_and_unavailable_signals(rules) -> None:
    live_rules, candidate = rules
    order = _order(1, "900.00")
    ctx = Context(settings=Settings(), history=None)  # history unavailable
    live = score_order(order, ctx, live_rules, _Model())
    shadow = ShadowRunner(candidate).evaluate(order, ctx, live)
    expected = score_order(order, ctx, candidate, _Model()).decision
    assert shadow.model_probability == 0.25
    assert shadow.signals_unavailable == live.decision.signals_unavailable
    assert "history" in shadow.signals_unavailable
    assert (shadow.score, shadow.action) == (expected.score, expected.action)
    assert shadow.versions.model == "m.1"


def _store_live(session, order, live_rules, ctx):  # noqa: ANN001, ANN202
    scored = score_order(order, ctx, live_rules)
    save_decision(session, order, scored.decision, scored.features.values)
    return scored


def test_recorded_shadow_decisions_are_stored_apart_and_leave_the_live_one_alone(
    session, rules  # noqa: ANN001
) -> None:
    live_rules, candidate = rules
    order = _order(0, "900.00")
    ctx = _ctx(order)
    live = _store_live(session, order, live_rules, ctx)
    runner = ShadowRunner(candidate)

    stored = runner.record(session, order, ctx, live)
    assert stored is not None and stored.created
    assert stored.action == Action.REVIEW and stored.rule_hits == ("big_order",)
    assert find_decision(session, order.order_id).decision.action == Action.APPROVE

    again = runner.record(session, order, ctx, live)
    assert again is not None and not again.created and again.score == stored.score
    rows = session.execute(select(shadow_decisions)).all()
    assert len(rows) == 1
    assert rows[0].rules_version == candidate.version
    assert rows[0].rule_hits[0]["rule_id"] == "big_order"


def test_a_failing_shadow_never_raises_and_the_session_stays_usable(session, rules) -> None:  # noqa: ANN001
    live_rules, candidate = rules
    order = _order(0, "900.00")
    ctx = _ctx(order)
    live = score_order(order, ctx, live_rules)  # not stored: the shadow row has no order
    assert ShadowRunner(candidate).record(session, order, ctx, live) is None
    _store_live(session, order, live_rules, ctx)
    assert ShadowRunner(candidate).record(session, order, ctx, live) is not None


def test_shadow_report_compares_live_and_shadow_actions_per_version(session, rules) -> None:  # noqa: ANN001
    live_rules, candidate = rules
    orders = [_order(i, a, i) for i, a in enumerate(["900.00", "40.00", "2500.00", "60.00"])]
    ctx = _ctx(*orders)
    runner = ShadowRunner(candidate)
    for order in orders:
        runner.record(session, order, ctx, _store_live(session, order, live_rules, ctx))
    record_outcome(session, "O-SH-0", Outcome.CHARGEBACK, T0 + timedelta(days=40))

    [report] = shadow_report(session).versions
    assert report.rules_version == candidate.version
    assert report.orders == 4
    assert report.agreement == pytest.approx(3 / 4)  # 900 EUR: approve live, review in shadow
    assert report.live_review_rate == pytest.approx(1 / 4)
    assert report.shadow_review_rate == pytest.approx(2 / 4)
    assert report.review_rate_change == pytest.approx(1 / 4)
    assert (Action.APPROVE, Action.REVIEW, 1) in report.transitions
    assert dict(report.rule_hits) == {"big_order": 2, "express": 2}
    assert report.known_fraud == 1
    assert (report.live_fraud_flagged, report.shadow_fraud_flagged) == (0, 1)
    [moved] = report.disagreements
    assert (moved.order_id, moved.known_fraud) == ("O-SH-0", True)

    text = format_shadow_report(shadow_report(session))
    assert candidate.version in text and "O-SH-0" in text and "approve → review 1" in text


def test_shadow_report_since_leaves_out_older_decisions(session, rules) -> None:  # noqa: ANN001
    live_rules, candidate = rules
    order = _order(0, "900.00")
    ctx = _ctx(order)
    _store_live(session, order, live_rules, ctx)
    from fraud.store.shadow import save_shadow_decision

    decision = ShadowRunner(candidate).evaluate(order, ctx)
    save_shadow_decision(session, order.order_id, decision, now=T0)
    assert shadow_report(session, since=T0 - timedelta(hours=1)).versions
    assert shadow_report(session, since=T0 + timedelta(hours=1)).versions == ()
    assert shadow_report(session, rules_version="other").versions == ()
    assert "No shadow decisions" in format_shadow_report(shadow_report(session, since=T0
                                                                      + timedelta(hours=1)))


def test_migration_0002_adds_and_removes_the_shadow_table(db_url: str) -> None:
    from alembic import command

    from fraud.store.db import alembic_config, make_engine

    upgrade_database(db_url)
    engine = make_engine(db_url)
    try:
        assert "shadow_decisions" in inspect(engine).get_table_names()
        command.downgrade(alembic_config(db_url), "0001")
        assert current_revision(db_url) == "0001"
        assert "shadow_decisions" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()

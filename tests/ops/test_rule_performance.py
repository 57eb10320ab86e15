"""Rule performance per week: hits, precision on labelled orders, share of reviews."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import make_order
from typer.testing import CliRunner

from fraud.cli import app as cli
from fraud.domain import Outcome
from fraud.model.dataset import LabelPolicy
from fraud.monitoring.rule_performance import (
    DecidedOrder,
    from_store,
    week_of,
    weekly_rule_performance,
)
from fraud.runtime import Runtime
from fraud.settings import Settings, get_settings

MONDAY = datetime(2026, 11, 2, 10, tzinfo=UTC)


def test_each_rule_and_week_counts_hits_precision_and_share_of_reviews():
    orders = [
        DecidedOrder("A", MONDAY, "review", ("r1",)),
        DecidedOrder("B", MONDAY + timedelta(days=1), "review", ("r1", "r2")),
        DecidedOrder("C", MONDAY + timedelta(days=2), "approve", ("r2",)),
        DecidedOrder("D", MONDAY + timedelta(days=6), "review", ()),
        DecidedOrder("E", MONDAY + timedelta(days=7), "approve", ("r1", "r1")),
    ]
    labels = {"A": 1.0, "B": 0.0, "C": math.nan, "D": 0.0, "E": 1.0}
    rows = {(r.week, r.rule_id): r for r in weekly_rule_performance(orders, labels)}
    first, second = date(2026, 11, 2), date(2026, 11, 9)
    assert set(rows) == {(first, "r1"), (first, "r2"), (second, "r1")}
    r1 = rows[(first, "r1")]
    assert (r1.hits, r1.labelled, r1.fraud, r1.precision) == (2, 2, 1, 0.5)
    assert (r1.reviews, r1.reviews_hit, r1.review_share) == (3, 2, pytest.approx(2 / 3))
    r2 = rows[(first, "r2")]
    assert (r2.hits, r2.labelled, r2.fraud, r2.precision) == (2, 1, 0, 0.0)  # C not labelled
    later = rows[(second, "r1")]
    assert (later.hits, later.precision, later.review_share) == (1, 1.0, None)  # no reviews


def test_weeks_start_on_monday():
    assert week_of(datetime(2026, 11, 8, 23, 59, tzinfo=UTC)) == date(2026, 11, 2)
    assert week_of(datetime(2026, 11, 9, 0, 0, tzinfo=UTC)) == date(2026, 11, 9)


@pytest.fixture
def runtime(db_url, tmp_path):
    rt = Runtime.start(Settings(data_dir=tmp_path, database_url=db_url,
                                model_dir=tmp_path / "none", _env_file=None))
    yield rt
    rt.close()


def _store_traffic(runtime: Runtime) -> list[str]:
    """Orders over two weeks, some new accounts with big baskets (rules hit), a chargeback
    on every third."""
    ids = []
    for i in range(12):
        at = MONDAY + timedelta(days=i, hours=1)
        risky = i % 2 == 0
        order = make_order(
            order_id=f"O-perf-{i}",
            created_at=at.isoformat(),
            customer={"account_id": f"C-{i}", "account_created_at":
                      (at - timedelta(minutes=5) if risky else at - timedelta(days=900))
                      .isoformat(), "email": f"perf{i}@example.com"},
            payment={"amount": "1890.00" if risky else "104.85", "three_ds": "failed"
                     if risky else "authenticated"},
            items=[{"sku": "ECU-1", "category": "electronics",
                    "unit_price": "1890.00" if risky else "104.85", "quantity": 1}],
        )
        runtime.score(order)
        if i % 3 == 0:
            runtime.record_outcome(order.order_id, Outcome.CHARGEBACK, at + timedelta(days=1))
        ids.append(order.order_id)
    return ids


def test_the_store_report_matches_the_stored_decisions_and_outcomes(runtime):
    ids = _store_traffic(runtime)
    cutoff = MONDAY + timedelta(days=60)
    with runtime.sessions() as session:
        rows = from_store(session, MONDAY, MONDAY + timedelta(days=14),
                          LabelPolicy(cutoff, timedelta(days=30)))
    expected_hits: Counter = Counter()
    expected_fraud: Counter = Counter()
    expected_reviews_hit: Counter = Counter()
    reviews: Counter = Counter()
    for i, order_id in enumerate(ids):
        decision = runtime.get_order(order_id).decision
        week = week_of(MONDAY + timedelta(days=i, hours=1))
        held = decision.action.label == "review"
        reviews[week] += held
        for hit in {h.rule_id for h in decision.rule_hits if h.status == "hit"}:
            expected_hits[(week, hit)] += 1
            expected_fraud[(week, hit)] += i % 3 == 0
            expected_reviews_hit[(week, hit)] += held
    assert expected_hits, "the risky orders should hit some rule"
    assert {(r.week, r.rule_id): r.hits for r in rows} == dict(expected_hits)
    assert {(r.week, r.rule_id): r.fraud for r in rows} == dict(expected_fraud)
    assert {(r.week, r.rule_id): r.reviews_hit for r in rows} == dict(expected_reviews_hit)
    assert all(r.reviews == reviews[r.week] for r in rows)
    # every order is older than the maturity at the cut-off: all are labelled
    assert all(r.labelled == r.hits for r in rows)


def test_the_command_prints_a_row_per_rule_and_week(runtime, monkeypatch):
    _store_traffic(runtime)
    monkeypatch.setenv("FRAUD_DATABASE_URL", runtime.settings.resolved_database_url)
    get_settings.cache_clear()
    until = (MONDAY + timedelta(days=60)).isoformat()
    result = CliRunner().invoke(cli, ["rules", "performance", "--until", until,
                                      "--weeks", "9", "--maturity-days", "30"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["week", "rule", "hits", "labelled", "fraud", "precision",
                                "of", "reviews"]
    assert len(lines) > 1 and all(line.startswith("2026-11-") for line in lines[1:])

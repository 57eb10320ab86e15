"""The operations dashboard: its figures match the stored decisions, outcomes and review
actions on SQLite and PostgreSQL; the page is for analysts and admins, escapes what it
shows, serves script-free SVG charts under the review pages' CSP, and its drift panel
tells what ``/readyz`` tells."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1] / "review"))

from holding import PASSWORD, hold  # noqa: E402
from review_client import signed_in_client  # noqa: E402

from api.review.dashboard import forget_cached  # noqa: E402
from fraud.domain import Action, Outcome  # noqa: E402
from fraud.model.drift import DriftReport, Move  # noqa: E402
from fraud.monitoring.dashboard import build_dashboard, drift_panel  # noqa: E402
from fraud.monitoring.drift_check import DriftWatch  # noqa: E402
from fraud.monitoring.stages import set_stage_observer  # noqa: E402
from fraud.review.actions import ReviewAction, act  # noqa: E402
from fraud.review.roles import Role  # noqa: E402
from fraud.review.users import add_user  # noqa: E402
from fraud.runtime import Runtime  # noqa: E402
from fraud.settings import Settings  # noqa: E402
from fraud.store import repository  # noqa: E402

HOSTILE_RULE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from fraud.review import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def _traffic(session) -> dict[str, object]:  # noqa: ANN001
    """Orders on three days: approvals, reviews and declines, with outcomes; returns what
    was stored, counted here by hand."""
    plan = []
    for day in range(3):
        created = (NOW - timedelta(days=day)).replace(hour=0, minute=30)
        if created > NOW:
            created = NOW - timedelta(minutes=1)
        for i, action in enumerate([Action.APPROVE] * (4 + day) + [Action.REVIEW] * (2 + day)
                                   + [Action.DECLINE] * day):
            codes = ("new_account_big_basket",) if action is not Action.APPROVE else ()
            order_id = hold(session, action=action, score=20 * int(action) + i,
                            codes=codes, decided_at=created, created_at=created.isoformat())
            plan.append((created.date().isoformat(), action.label, order_id))
    return {"plan": plan}


@pytest.fixture
def runtime(db_url, tmp_path) -> Iterator[Runtime]:
    rt = Runtime.start(Settings(data_dir=tmp_path, database_url=db_url,
                                model_dir=tmp_path / "none", _env_file=None))
    yield rt
    rt.close()


def test_the_figures_match_what_was_stored(runtime):
    with runtime.sessions() as session:
        plan = _traffic(session)["plan"]
        held = [o for _, a, o in plan if a == "review"]
        reviewer = add_user(session, "rita", Role.REVIEWER, PASSWORD)
        act(session, reviewer, held[0], ReviewAction.CANCEL, version=0, reason="stolen card")
        act(session, reviewer, held[1], ReviewAction.APPROVE, version=0)
        repository.record_outcome(session, plan[0][2], Outcome.CHARGEBACK, NOW)
        board = build_dashboard(session, now=datetime.now(UTC), days=7, weeks=2,
                                drift=drift_panel(None, None, None, 0.25))
    expected = Counter((day, action) for day, action, _ in plan)
    for d in board.days:
        for action in ("approve", "review", "decline"):
            assert getattr(d, action) == expected[(d.day, action)], (d.day, action)
    assert board.total.orders == len(plan)
    # the reviewer's cancellation is a confirmed fraud; the chargeback was reported
    assert board.total.fraud_confirmed == 1
    assert board.total.chargeback == 1
    assert board.total.review_rate == pytest.approx(len(held) / len(plan))
    assert [(r.name, r.decided) for r in board.reviewers] == [("rita", 2)]
    assert board.backlog.size == len(held) - 2
    assert sum(n for _, n in board.backlog.by_age) == board.backlog.size
    assert board.backlog.oldest is not None
    assert sum(board.score_counts) == len(plan)
    top = {r.rule_id: r for r in board.top_rules}
    flagged = [a for _, a, _ in plan if a != "approve"]
    assert top["new_account_big_basket"].hits == len(flagged)
    assert top["new_account_big_basket"].review_share == 1.0


def test_the_backlog_counts_orders_by_age(runtime):
    with runtime.sessions() as session:
        for hours in (0.2, 2, 30, 100):
            hold(session, decided_at=NOW - timedelta(hours=hours))
        board = build_dashboard(session, now=NOW, days=7, weeks=1,
                                drift=drift_panel(None, None, None, 0.25))
    assert dict(board.backlog.by_age) == {"< 1 h": 1, "1–4 h": 1, "4–24 h": 0, "1–3 d": 1,
                                          "> 3 d": 1}
    assert board.backlog.oldest_age_seconds(NOW) == pytest.approx(100 * 3600, abs=5)


# --- the page ----------------------------------------------------------------------------


@pytest.fixture
def app_runtime(tmp_path) -> Iterator[Runtime]:
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "none", _env_file=None)
    rt = Runtime.start(settings)
    with rt.sessions() as s:
        for name, role in [("rita", Role.REVIEWER), ("ann", Role.ANALYST), ("ada", Role.ADMIN)]:
            add_user(s, name, role, PASSWORD)
        hold(s, codes=(HOSTILE_RULE,))
        hold(s, action=Action.APPROVE, codes=())
    forget_cached()
    yield rt
    forget_cached()
    set_stage_observer(None)
    rt.close()


def _client(rt: Runtime, name: str) -> TestClient:
    return signed_in_client(rt.settings, rt, name, PASSWORD)


@pytest.mark.parametrize("name", ["ann", "ada"])
def test_analysts_and_admins_see_the_dashboard(app_runtime, name):
    client = _client(app_runtime, name)
    page = client.get("/review/dashboard")
    assert page.status_code == 200
    assert "Orders per day by action" in page.text
    assert 'href="/review/dashboard"' in page.text  # in the navigation
    charts = re.findall(r'src="(/review/dashboard/charts/[a-z-]+\.svg\?[^"]*)"', page.text)
    assert len(charts) >= 6
    for url in charts:
        chart = client.get(url.replace("&amp;", "&"))
        assert chart.status_code == 200, url
        assert chart.headers["content-type"].startswith("image/svg+xml")
        assert "script-src 'self'" in chart.headers["content-security-policy"]
        assert "<svg" in chart.text
        assert "<script" not in chart.text.lower()
        assert "onerror" not in chart.text.lower() or "&lt;img" in chart.text


def test_reviewers_are_refused_the_dashboard(app_runtime):
    client = _client(app_runtime, "rita")
    assert client.get("/review/dashboard").status_code == 403
    assert client.get("/review/dashboard/charts/actions.svg").status_code == 403
    assert 'href="/review/dashboard"' not in client.get("/review").text


def test_anonymous_visitors_are_sent_to_sign_in(app_runtime):
    from api.main import create_app

    with TestClient(create_app(app_runtime.settings, runtime=app_runtime)) as client:
        answer = client.get("/review/dashboard", follow_redirects=False)
    assert answer.status_code == 303
    assert "/review/login" in answer.headers["location"]


def test_rule_ids_are_escaped_on_the_page_and_in_the_charts(app_runtime):
    client = _client(app_runtime, "ann")
    page = client.get("/review/dashboard")
    assert HOSTILE_RULE not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    for name in ("rule-precision", "rule-reviews"):
        svg = client.get(f"/review/dashboard/charts/{name}.svg").text
        assert "<script" not in svg and "<img" not in svg


@pytest.mark.parametrize(("query", "field"), [("days=abc", "days"), ("days=0", "days"),
                                               ("weeks=99", "weeks")])
def test_a_bad_window_is_a_422_naming_the_field(app_runtime, query, field):
    client = _client(app_runtime, "ann")
    page = client.get(f"/review/dashboard?{query}")
    assert page.status_code == 422
    assert f"{field}:" in page.text
    assert client.get(f"/review/dashboard/charts/actions.svg?{query}").status_code == 422


def test_an_unknown_chart_is_a_404(app_runtime):
    assert _client(app_runtime, "ann").get("/review/dashboard/charts/nope.svg").status_code == 404


def test_the_drift_panel_tells_what_readyz_tells(app_runtime):
    report = DriftReport(
        moves=(Move("amount_eur", 1.7, "[120, inf)", 0.1, 0.9),
               Move("order_hour_local", 0.05, "[-inf, 3)", 0.08, 0.1)),
        threshold=0.25, reference_rows=500, recent_rows=300, source="test")
    app_runtime.drift = DriftWatch(lambda: report, 3600)
    app_runtime.drift.run_once()
    client = _client(app_runtime, "ann")
    ready = client.get("/readyz").json()
    page = client.get("/review/dashboard").text
    status = re.search(r'id="drift-status">([^<]*)<', page).group(1)
    assert status == ready["checks"]["model_drift"]
    assert status.startswith("drifting")
    assert 'class="drifting"><td>amount_eur' in page
    svg = client.get("/review/dashboard/charts/drift.svg").text
    assert "amount_eur" in svg


def test_without_a_drift_watch_the_panel_says_unknown(app_runtime):
    page = _client(app_runtime, "ann").get("/review/dashboard").text
    assert re.search(r'id="drift-status">unknown: ', page)

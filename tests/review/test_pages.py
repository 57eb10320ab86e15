"""The review pages over HTTP: sign-in, roles on every action, CSRF, security headers,
hostile customer text, and the second of two reviewers deciding one order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from holding import PASSWORD, hold
from review_client import CSRF, act, signed_in_client

from api.main import create_app
from fraud.review.audit import entries_for
from fraud.review.roles import Role
from fraud.review.users import add_user
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store import apikeys

ADMIN_PASSWORD = "first admin password"  # noqa: S105 - a test password
HOSTILE_NAME = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None)


@pytest.fixture
def runtime(settings) -> Iterator[Runtime]:
    rt = Runtime.start(settings)
    with rt.sessions() as s:
        for name, role in [("rita", Role.REVIEWER), ("rob", Role.REVIEWER),
                           ("ann", Role.ANALYST), ("ada", Role.ADMIN)]:
            add_user(s, name, role, PASSWORD)
    yield rt
    rt.close()


@pytest.fixture
def held(runtime) -> str:
    with runtime.sessions() as s:
        return hold(s, customer={"name": HOSTILE_NAME})


@pytest.fixture
def anonymous(settings, runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c


def client_for(settings, runtime, name: str) -> TestClient:  # noqa: ANN001
    return signed_in_client(settings, runtime, name, PASSWORD)


@pytest.mark.parametrize("path", ["/review", "/review/orders/O-1", "/review/audit",
                                  "/review/admin/users"])
def test_anonymous_visitors_are_sent_to_sign_in(anonymous, path):
    answer = anonymous.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/review/login?next=/review")


def test_wrong_password_shows_the_form_again_with_a_message(anonymous):
    token = CSRF.search(anonymous.get("/review/login").text).group(1)
    answer = anonymous.post("/review/login", data={"username": "rita", "password": "nope nope",
                                                   "csrf_token": token})
    assert answer.status_code == 401
    assert "wrong user name or password" in answer.text


def test_sign_in_without_the_forms_token_is_refused(anonymous):
    answer = anonymous.post("/review/login", data={"username": "rita", "password": PASSWORD})
    assert answer.status_code == 403
    assert "review_session" not in answer.cookies


def test_the_session_cookie_is_httponly_and_samesite_strict(anonymous):
    token = CSRF.search(anonymous.get("/review/login").text).group(1)
    answer = anonymous.post("/review/login", follow_redirects=False, data={
        "username": "rita", "password": PASSWORD, "csrf_token": token, "next": "//evil.example"})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/review" in cookie
    assert answer.headers["location"] == "/review"  # never an open redirect


def test_the_first_admin_on_an_empty_store_comes_from_the_settings(tmp_path):
    settings = Settings(data_dir=tmp_path / "empty", model_dir=tmp_path / "no-models",
                        _env_file=None, review_admin_password=ADMIN_PASSWORD)
    rt = Runtime.start(settings)
    try:
        admin = signed_in_client(settings, rt, "admin", ADMIN_PASSWORD)
        assert admin.get("/review/admin/users").status_code == 200
    finally:
        rt.close()


def test_pages_carry_the_security_headers(settings, runtime, held):
    page = client_for(settings, runtime, "rita").get("/review")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"


def test_sign_out_ends_the_session(settings, runtime):
    client = client_for(settings, runtime, "rita")
    token = CSRF.search(client.get("/review").text).group(1)
    assert client.post("/review/logout", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.get("/review", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("role_user, allowed", [("rita", True), ("ada", True), ("ann", False)])
@pytest.mark.parametrize("action, reason", [
    ("claim", ""), ("approve", ""), ("cancel", "card reported stolen"),
    ("escalate", "looks like a ring"), ("note", "called the bank"),
])
def test_each_role_against_each_action(settings, runtime, held, role_user, allowed, action,
                                       reason):
    answer = act(client_for(settings, runtime, role_user), held, action, reason)
    assert answer.status_code == (303 if allowed else 403)
    with runtime.sessions() as s:
        entries = entries_for(s, held)
    assert [(e.action, e.actor) for e in entries] == ([(action, role_user)] if allowed else [])


def test_release_belongs_to_whoever_claimed(settings, runtime, held):
    rita, rob = client_for(settings, runtime, "rita"), client_for(settings, runtime, "rob")
    assert act(rita, held, "claim").status_code == 303
    refused = act(rob, held, "approve")
    assert refused.status_code == 409 and "claimed by rita" in refused.text
    assert act(rita, held, "release").status_code == 303
    assert act(rob, held, "approve").status_code == 303


@pytest.mark.parametrize("path", ["/review/admin/users"])
@pytest.mark.parametrize("role_user, status", [("rita", 403), ("ann", 403), ("ada", 200)])
def test_only_admins_see_users(settings, runtime, path, role_user, status):
    assert client_for(settings, runtime, role_user).get(path).status_code == status


def test_analysts_read_the_queue_order_and_audit_log_without_action_buttons(
    settings, runtime, held
):
    ann = client_for(settings, runtime, "ann")
    assert held in ann.get("/review").text
    page = ann.get(f"/review/orders/{held}")
    assert page.status_code == 200 and 'value="approve"' not in page.text
    assert ann.get("/review/audit").status_code == 200


def test_a_form_without_its_csrf_token_changes_nothing(settings, runtime, held):
    answer = act(client_for(settings, runtime, "rita"), held, "approve", token="forged")  # noqa: S106
    assert answer.status_code == 403
    with runtime.sessions() as s:
        assert entries_for(s, held) == []


def test_cancel_and_escalate_need_a_reason(settings, runtime, held):
    rita = client_for(settings, runtime, "rita")
    for action in ("cancel", "escalate"):
        answer = act(rita, held, action, "   ")
        assert answer.status_code == 422 and f"a reason to {action} is required" in answer.text


def test_the_second_of_two_reviewers_deciding_gets_a_clear_message(settings, runtime, held):
    rita, rob = client_for(settings, runtime, "rita"), client_for(settings, runtime, "rob")
    assert act(rita, held, "approve", version="0").status_code == 303
    second = act(rob, held, "cancel", "fraud for sure", version="0")
    assert second.status_code == 409
    assert "changed by somebody else meanwhile" in second.text
    assert "now approved by rita" in second.text


def test_approve_reaches_the_order_api_as_a_label(settings, runtime, held):
    rita = client_for(settings, runtime, "rita")
    assert act(rita, held, "approve").status_code == 303
    with runtime.sessions() as s:
        key = apikeys.create_api_key(s, "shop")
    with TestClient(create_app(settings, runtime=runtime)) as api:
        answer = api.get(f"/v1/orders/{held}", headers={"Authorization": f"Bearer {key}"})
    assert [o["outcome"] for o in answer.json()["outcomes"]] == ["legit_confirmed"]
    assert answer.json()["review"]["status"] == "approved"
    assert answer.json()["review"]["by"] == "rita"


def test_hostile_customer_text_is_escaped_everywhere_it_is_shown(settings, runtime, held):
    rita = client_for(settings, runtime, "rita")
    assert act(rita, held, "note", HOSTILE_NAME).status_code == 303
    for path in ("/review", f"/review/orders/{held}", "/review/audit",
                 f"/review?q={held}"):
        page = rita.get(path).text
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_bad_filters_are_a_422_naming_the_field(settings, runtime, held):
    page = client_for(settings, runtime, "rita").get("/review?min_amount=lots")
    assert page.status_code == 422 and "min_amount: not a number" in page.text


def test_a_contact_recorded_on_the_page_shows_in_the_customers_log(settings, runtime, held):
    rita = client_for(settings, runtime, "rita")
    token = CSRF.search(rita.get(f"/review/orders/{held}").text).group(1)
    form = {"csrf_token": token, "action": "contact", "channel": "email",
            "contacted_at": "2026-11-26T09:30", "reason": HOSTILE_NAME}
    bad = rita.post(f"/review/orders/{held}/act", data={**form, "result": "maybe"})
    assert bad.status_code == 422 and "result: one of confirmed" in bad.text
    done = rita.post(f"/review/orders/{held}/act", data={**form, "result": "denied"},
                     follow_redirects=False)
    assert done.status_code == 303
    page = rita.get(f"/review/orders/{held}").text
    assert "2026-11-26 09:30 UTC" in page and "denied" in page
    assert "<img src=x" not in page


def test_a_forged_page_cursor_is_a_422_page(settings, runtime, held):
    page = client_for(settings, runtime, "rita").get("/review?after=<script>")
    assert page.status_code == 422 and "after: not a page cursor" in page.text
    assert "<script>" not in page.text.split("<main>")[1]

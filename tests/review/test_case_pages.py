"""The case and erasure pages: escalate → open case with suggested linked orders, the case
page (status, reference, owner, notes), the admin's export download (a zip recorded as
custody and evidence), and the admin erasure page refusing under a legal hold. Every
form needs the CSRF token; each role is tried against each action."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from holding import PASSWORD, hold
from review_client import CSRF, signed_in_client

from fraud.cases import get_case, open_case, verify_bundle
from fraud.evidence import verify_chain
from fraud.review.roles import Role
from fraud.review.users import add_user
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store import repository

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None)


@pytest.fixture
def runtime(settings) -> Iterator[Runtime]:
    rt = Runtime.start(settings)
    with rt.sessions() as s:
        for name, role in [("rita", Role.REVIEWER), ("ann", Role.ANALYST), ("ada", Role.ADMIN)]:
            add_user(s, name, role, PASSWORD)
    yield rt
    rt.close()


@pytest.fixture
def linked(runtime) -> tuple[str, str, str]:
    """An order held for review, one sharing its device and e-mail, one unrelated."""
    with runtime.sessions() as s:
        first = hold(s, customer={"name": HOSTILE})
        twin = hold(s, customer={"account_id": "C-2", "email": "sanne.devries@gmail.com"},
                    ip_address="198.51.100.7")
        other = hold(s, customer={"account_id": "C-3", "email": "x@example.org", "phone": None},
                     device_id="dev-else", ip_address="203.0.113.5",
                     payment={"card_last4": "1111"},
                     shipping_address={"street": "Elders", "house_number": "1",
                                       "postal_code": "1011AB", "city": "Amsterdam",
                                       "country": "NL"})
    return first, twin, other


def token(client, path: str) -> str:  # noqa: ANN001
    page = client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def test_a_reviewer_opens_a_case_from_the_order_with_the_suggested_orders(settings, runtime,
                                                                         linked):
    first, twin, other = linked
    rita = signed_in_client(settings, runtime, "rita", PASSWORD)
    page = rita.get(f"/review/orders/{first}")
    assert 'id="open-case"' in page.text and f'value="{twin}" checked' in page.text
    assert f'value="{other}"' not in page.text  # shares nothing
    answer = rita.post("/review/cases", data={
        "csrf_token": CSRF.search(page.text).group(1), "title": HOSTILE,
        "order_id": [first, twin]}, follow_redirects=False)
    assert answer.status_code == 303
    case_page = rita.get(answer.headers["location"])
    assert "Case opened" in case_page.text and twin in case_page.text
    assert "<script>alert(1)" not in case_page.text  # the hostile title is text
    with runtime.sessions() as s:
        case = get_case(s, 1)
        assert (case.owner, set(case.order_ids)) == ("rita", {first, twin})
    assert 'href="/review/cases/1"' in rita.get(f"/review/orders/{first}").text


def test_the_case_page_changes_status_reference_owner_and_notes(settings, runtime, linked):
    with runtime.sessions() as s:
        open_case(s, "Brake pads", "rita", [linked[0]])
    rita = signed_in_client(settings, runtime, "rita", PASSWORD)
    posts = [
        {"change": "status", "status": "reported", "reference": "PR-2026-0042"},
        {"change": "owner", "owner": "ada"},
        {"change": "note", "note": "Customer denies ordering <b>this</b>."},
        {"change": "orders", "order_id": [linked[1]]},
    ]
    for form in posts:
        answer = rita.post("/review/cases/1/change",
                           data={"csrf_token": token(rita, "/review/cases/1"), **form},
                           follow_redirects=False)
        assert answer.status_code == 303, answer.text
    page = rita.get("/review/cases/1").text
    assert "PR-2026-0042" in page and "&lt;b&gt;this&lt;/b&gt;" in page
    with runtime.sessions() as s:
        case = get_case(s, 1)
        assert (case.status, case.authority_ref, case.owner) == ("reported", "PR-2026-0042", "ada")
        assert set(case.order_ids) == set(linked[:2])
        assert verify_chain(s, _trusted(runtime)).ok
    bad = rita.post("/review/cases/1/change", data={
        "csrf_token": token(rita, "/review/cases/1"), "change": "status", "status": "won"})
    assert bad.status_code == 422 and "is not one of" in bad.text


def test_only_an_admin_downloads_the_export_and_it_is_recorded(settings, runtime, linked,
                                                              tmp_path):
    with runtime.sessions() as s:
        open_case(s, "Brake pads", "rita", list(linked[:2]))
    rita = signed_in_client(settings, runtime, "rita", PASSWORD)
    assert 'id="download-export"' not in rita.get("/review/cases/1").text
    refused = rita.post("/review/cases/1/export", data={
        "csrf_token": token(rita, "/review/cases/1"), "reason": "police"})
    assert refused.status_code == 403
    ada = signed_in_client(settings, runtime, "ada", PASSWORD)
    answer = ada.post("/review/cases/1/export", data={
        "csrf_token": token(ada, "/review/cases/1"), "reason": "police request, Utrecht",
        "reference": "PR-1"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert 'filename="case-1.zip"' in answer.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "unzipped")
    assert {"case-1/report.html", "case-1/manifest.sig", "case-1/custody.log"} <= names
    report = verify_bundle(tmp_path / "unzipped" / "case-1")
    assert report.ok, report
    custody = (tmp_path / "unzipped" / "case-1" / "custody.log").read_text()
    assert "ada" in custody and "police request, Utrecht" in custody
    with runtime.sessions() as s:
        assert verify_chain(s, _trusted(runtime)).ok


@pytest.mark.parametrize("who", ["ann", "rita"])
def test_analysts_and_reviewers_cannot_erase_and_see_no_erasure_page(settings, runtime, who):
    client = signed_in_client(settings, runtime, who, PASSWORD)
    assert client.get("/review/admin/erase").status_code == 403
    answer = client.post("/review/admin/erase", data={
        "csrf_token": token(client, "/review"), "email": "a@b.example", "confirm": "yes"})
    assert answer.status_code == 403


def test_an_analyst_reads_cases_but_changes_nothing(settings, runtime, linked):
    with runtime.sessions() as s:
        open_case(s, "Brake pads", "rita", [linked[0]])
    ann = signed_in_client(settings, runtime, "ann", PASSWORD)
    page = ann.get("/review/cases/1")
    assert page.status_code == 200 and 'id="set-status"' not in page.text
    assert 'id="open-case"' not in ann.get(f"/review/orders/{linked[0]}").text
    csrf = token(ann, "/review/cases/1")
    for path, form in [("/review/cases", {"title": "x", "order_id": linked[0]}),
                       ("/review/cases/1/change", {"change": "note", "note": "x"}),
                       ("/review/cases/1/export", {"reason": "x"})]:
        assert ann.post(path, data={"csrf_token": csrf, **form}).status_code == 403
    with runtime.sessions() as s:
        assert get_case(s, 1).notes == ()


def test_case_forms_without_the_csrf_token_change_nothing(settings, runtime, linked):
    with runtime.sessions() as s:
        open_case(s, "Brake pads", "rita", [linked[0]])
    ada = signed_in_client(settings, runtime, "ada", PASSWORD)
    for path, form in [("/review/cases", {"title": "x", "order_id": linked[0]}),
                       ("/review/cases/1/change", {"change": "note", "note": "x"}),
                       ("/review/cases/1/export", {"reason": "x"}),
                       ("/review/admin/erase", {"email": "sanne.devries@gmail.com",
                                                "confirm": "yes"})]:
        assert ada.post(path, data={"csrf_token": "forged", **form}).status_code == 403
    with runtime.sessions() as s:
        assert get_case(s, 1).notes == ()
        assert repository.get_stored_order(s, linked[0]).order["customer"]["email"] == (
            "sanne.devries@gmail.com")


def test_anonymous_visitors_of_case_pages_are_sent_to_sign_in(settings, runtime):
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(settings, runtime=runtime)) as anonymous:
        for path in ("/review/cases", "/review/cases/1", "/review/admin/erase"):
            answer = anonymous.get(path, follow_redirects=False)
            assert answer.status_code == 303 and "/review/login" in answer.headers["location"]


def test_the_erasure_page_refuses_under_a_legal_hold_naming_the_case_then_erases(
    settings, runtime, linked
):
    with runtime.sessions() as s:
        open_case(s, "Brake pads", "rita", [linked[2]])
    ada = signed_in_client(settings, runtime, "ada", PASSWORD)
    held = ada.post("/review/admin/erase", data={
        "csrf_token": token(ada, "/review/admin/erase"), "email": "X@example.org",
        "confirm": "yes"})
    assert held.status_code == 409 and "case 1" in held.text and "not closed" in held.text
    erased = ada.post("/review/admin/erase", data={
        "csrf_token": token(ada, "/review/admin/erase"), "customer_id": "C-2",
        "confirm": "yes"})
    assert erased.status_code == 200 and re.search(r"Erased: 1 orders", erased.text)
    with runtime.sessions() as s:
        kinds = [r.kind for r in _records(s)]
        assert "erasure_refused" in kinds and "erasure" in kinds
        assert verify_chain(s, _trusted(runtime)).ok
        assert repository.get_stored_order(s, linked[1]).order["customer"]["email"].endswith(
            "@erased.invalid")
    both = ada.post("/review/admin/erase", data={
        "csrf_token": token(ada, "/review/admin/erase"), "email": "a@b.example",
        "customer_id": "C-9", "confirm": "yes"})
    assert both.status_code == 422 and "give one of the two" in both.text


def _records(session):  # noqa: ANN001, ANN202
    from sqlalchemy import select

    from fraud.store.evidence_tables import evidence_records

    return list(session.execute(select(evidence_records).order_by(evidence_records.c.seq)))


def _trusted(runtime):  # noqa: ANN001, ANN202
    return {runtime.signer.key_id: runtime.signer.public}

"""POST /v1/events and GET /v1/events/{event_id}: decisions, retries, 409, 401 and 422s."""

from __future__ import annotations

from typing import Any

import pytest

from api.events import ADDRESS_EXAMPLE, DECISION_EXAMPLE, LOGIN_EXAMPLE

HOME = {  # docs/events.md's first login
    "event_id": "EV-README-1",
    "type": "login_succeeded",
    "account_id": "C-README-7",
    "occurred_at": "2026-11-20T09:00:00+01:00",
    "ip_address": "145.53.12.7",  # placed in NL by the bundled database
    "device_id": "dev-home-8a21",
}


def event(**overrides: Any) -> dict[str, Any]:
    return {**LOGIN_EXAMPLE, **overrides}


def test_a_login_from_a_new_device_and_country_is_challenged(client) -> None:
    assert client.post("/v1/events", json=HOME).json()["decision"] == "allow"
    response = client.post("/v1/events", json=LOGIN_EXAMPLE)
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "challenge"
    assert {r["code"] for r in body["reasons"]} == {"new_device", "new_country"}
    assert body["rules_version"].startswith("2026-")
    assert client.get(f"/v1/events/{LOGIN_EXAMPLE['event_id']}").json() == body
    # the OpenAPI example and docs/events.md show this very answer
    assert {**body, "stored_at": None} == {**DECISION_EXAMPLE, "stored_at": None}


def test_a_retried_event_gets_the_stored_answer_and_a_reused_id_a_409(client) -> None:
    first = client.post("/v1/events", json=LOGIN_EXAMPLE).json()
    assert client.post("/v1/events", json=LOGIN_EXAMPLE).json() == first
    reused = client.post("/v1/events", json=event(device_id="dev-other"))
    assert reused.status_code == 409
    assert reused.json()["code"] == "conflict" and "event id" in reused.json()["message"]


def test_an_account_change_is_stored_without_a_decision(client) -> None:
    body = client.post("/v1/events", json=ADDRESS_EXAMPLE).json()
    assert body["decision"] is None and body["reasons"] == []
    assert client.get(f"/v1/events/{ADDRESS_EXAMPLE['event_id']}").status_code == 200


def test_events_need_an_api_key(anonymous) -> None:
    assert anonymous.post("/v1/events", json=LOGIN_EXAMPLE).status_code == 401
    assert anonymous.get("/v1/events/EV-1").status_code == 401


def test_an_unknown_event_is_a_404(client) -> None:
    response = client.get("/v1/events/EV-nothing")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(("body", "field", "reason"), [
    (event(type="login_maybe"), "type", "Input should be"),
    (event(occurred_at="2026-11-25T13:57:00"), "occurred_at", "timezone"),
    (event(ip_address="999.1.1.1"), "ip_address", ""),
    (event(account_id=""), "account_id", ""),
    (event(surprise=1), "surprise", "not permitted"),
    (event(change={"email": "new@example.com"}), "change", "carries no change"),
    ({**ADDRESS_EXAMPLE, "change": None}, "change", "needs change.address"),
    ({k: v for k, v in LOGIN_EXAMPLE.items() if k != "event_id"}, "event_id", "required"),
])
def test_bad_input_is_a_422_naming_the_field_and_reason(
    client, body: dict, field: str, reason: str
) -> None:
    response = client.post("/v1/events", json=body)
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert fields[0]["field"] == field
    assert reason.lower() in fields[0]["reason"].lower()


def test_bad_input_stores_nothing(client, runtime) -> None:
    from fraud.store.event_store import count_account_events

    client.post("/v1/events", json=event(ip_address="not an ip"))
    assert count_account_events(runtime.engine, LOGIN_EXAMPLE["account_id"]) == 0


def test_the_openapi_page_documents_the_events_endpoints_with_examples(anonymous) -> None:
    spec = anonymous.get("/openapi.json").json()
    post = spec["paths"]["/v1/events"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert examples["login"]["value"] == LOGIN_EXAMPLE
    assert {"401", "409", "422"} <= set(post["responses"])
    assert "event id" in post["responses"]["409"]["description"]
    assert "/v1/events/{event_id}" in spec["paths"]

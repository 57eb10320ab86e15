"""Hostile input is refused with a 422 naming the field, on both stores, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from factories import make_order_data
from fastapi.testclient import TestClient

from api.main import create_app
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store import apikeys


@pytest.fixture
def store_client(db_url, tmp_path) -> Iterator[TestClient]:
    """A client on SQLite and, in a second run, on PostgreSQL."""
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models",
                        database_url=db_url, _env_file=None)
    runtime = Runtime.start(settings)
    with runtime.sessions() as session:
        key = apikeys.create_api_key(session, "order-service")
    with TestClient(create_app(settings, runtime=runtime)) as c:
        c.headers["Authorization"] = f"Bearer {key}"
        yield c
    runtime.close()


def refused_fields(response) -> list[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_input"
    return [f["field"] for f in body["fields"]]


@pytest.mark.parametrize("when", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00",
                                  "1999-12-31T23:59:59+00:00", "2100-01-01T00:00:00+00:00"])
def test_order_times_outside_2000_to_2099_are_refused(store_client, when):
    order = make_order_data(order_id="O-time-1", created_at=when)
    assert refused_fields(store_client.post("/v1/score", json=order)) == ["created_at"]
    order = make_order_data(order_id="O-time-2", customer={"account_created_at": when})
    assert "customer.account_created_at" in refused_fields(
        store_client.post("/v1/score", json=order))


@pytest.mark.parametrize("when", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_outcome_times_outside_2000_to_2099_are_refused(store_client, when):
    assert store_client.post("/v1/score", json=make_order_data(order_id="O-time-3")).is_success
    response = store_client.post("/v1/orders/O-time-3/outcome",
                                 json={"outcome": "chargeback", "at": when})
    assert refused_fields(response) == ["at"]


@pytest.mark.parametrize(("field", "overrides"), [
    ("customer.name", {"customer": {"name": "Sanne\x00de Vries"}}),
    ("customer.email", {"customer": {"email": "sanne\x07@gmail.com"}}),
    ("billing_address.street", {"billing_address": {"street": "Oude\x1bgracht"}}),
    ("shipping_address.city", {"shipping_address": {"city": "Utrecht\x85"}}),
    ("user_agent", {"user_agent": "Mozilla\x00"}),
    ("items.0.category", {"items": [{"sku": "A-1", "category": "brakes\x9f",
                                     "unit_price": "1.00", "quantity": 1}]}),
])
def test_control_characters_in_text_are_refused(store_client, field, overrides):
    order = make_order_data(order_id="O-ctl-1", **overrides)
    response = store_client.post("/v1/score", json=order)
    assert field in refused_fields(response)
    assert "control character" in response.json()["fields"][0]["reason"]


@pytest.mark.parametrize("amount", ["١٢٤٩.٠٠", "１２４９.００", "1_249.00", " 1249.00", "1e3"])
def test_amounts_must_be_ascii_decimal_text(client, amount):
    order = make_order_data(order_id="O-amt-1", payment={"amount": amount})
    assert refused_fields(client.post("/v1/score", json=order)) == ["payment.amount"]


def test_a_plain_ascii_amount_is_still_accepted(client):
    order = make_order_data(order_id="O-amt-2", payment={"amount": "1249.00"})
    assert client.post("/v1/score", json=order).status_code == 200


@pytest.mark.parametrize("when", ["0", "1764075780"])
def test_unix_times_as_text_are_not_read_as_times(client, when):
    order = make_order_data(order_id="O-unix-1", customer={"account_created_at": when})
    assert "customer.account_created_at" in refused_fields(client.post("/v1/score", json=order))


def test_a_key_given_twice_is_refused_naming_the_key(client):
    text = json.dumps(make_order_data(order_id="O-dup-1"))
    text = text.replace('"shipping_method":', '"shipping_method": "express", "shipping_method":')
    response = client.post("/v1/score", content=text,
                           headers={"Content-Type": "application/json"})
    assert refused_fields(response) == ["shipping_method"]
    assert "more than once" in response.json()["message"]


def test_a_nested_key_given_twice_in_an_outcome_is_refused(client):
    client.post("/v1/score", json=make_order_data(order_id="O-dup-2"))
    response = client.post(
        "/v1/orders/O-dup-2/outcome",
        content='{"outcome": "paid", "outcome": "chargeback", "at": "2027-01-20T10:00:00Z"}',
        headers={"Content-Type": "application/json"})
    assert refused_fields(response) == ["outcome"]


def test_a_huge_unknown_key_is_not_echoed_back(client):
    order = make_order_data(order_id="O-big-1")
    order["x" * 250_000] = 1
    response = client.post("/v1/score", json=order)
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert response.json()["fields"][0]["field"].startswith("xxxx")


def test_thousands_of_unknown_keys_list_only_the_first_twenty(client):
    order = make_order_data(order_id="O-many-1")
    order.update({f"unknown_{i}": 1 for i in range(2_000)})
    response = client.post("/v1/score", json=order)
    assert len(refused_fields(response)) == 20
    assert "+1999 more errors" in response.json()["message"]

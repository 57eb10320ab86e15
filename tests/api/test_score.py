"""POST /v1/score through HTTP: decisions, idempotency and refusal of bad input."""

from __future__ import annotations

import json

from factories import make_order_data


def stored_count(client) -> int:
    from sqlalchemy import text

    runtime = client.app.state.runtime
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM orders")).scalar_one()


def test_score_returns_a_decision_with_reasons_and_versions(client):
    response = client.post("/v1/score", json=make_order_data(order_id="O-ok-1"))
    assert response.status_code == 200
    body = response.json()
    assert body["order_id"] == "O-ok-1"
    assert 0 <= body["score"] <= 100
    assert body["action"] in ("approve", "review", "decline")
    assert set(body["versions"]) == {"rules", "model", "service"}
    assert body["versions"]["model"] == "none (rules only)"
    assert isinstance(body["reasons"], list)
    assert isinstance(body["signals_unavailable"], list)


def test_an_ordinary_dutch_order_is_approved(client):
    body = client.post("/v1/score", json=make_order_data()).json()
    assert body["action"] == "approve"


def test_an_obvious_stolen_card_order_is_not_approved_and_says_why(client):
    data = make_order_data(
        customer={
            "account_created_at": "2026-11-25T13:58:00+01:00",
            "email": "xk7q9w2zt4@mailinator.com",
            "phone": None,
        },
        shipping_address={
            "street": "Friedrichstraße",
            "house_number": "12",
            "postal_code": "10117",
            "city": "Berlin",
            "country": "DE",
        },
        ip_address="86.120.5.17",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0 Safari/537.36",
        payment={"amount": "1249.00", "card_country": "US", "three_ds": "failed"},
        items=[{"sku": "ECU-1", "category": "ecu", "unit_price": "1249.00", "quantity": 1}],
        shipping_method="express",
    )
    body = client.post("/v1/score", json=data).json()
    assert body["action"] in ("review", "decline")
    assert body["reasons"], "a flagged order must say why"
    assert all(r["message"] for r in body["reasons"])


def test_a_repeated_order_id_returns_the_same_decision_and_stores_once(client):
    data = make_order_data(order_id="O-idem-1")
    first = client.post("/v1/score", json=data).json()
    before = stored_count(client)
    second = client.post("/v1/score", json=data).json()
    assert second == first
    assert stored_count(client) == before


def test_scoring_stores_the_order_before_answering(client):
    client.post("/v1/score", json=make_order_data(order_id="O-stored-1"))
    stored = client.get("/v1/orders/O-stored-1")
    assert stored.status_code == 200
    assert stored.json()["order"]["order_id"] == "O-stored-1"
    assert stored.json()["decision"]["order_id"] == "O-stored-1"


def assert_clean_422(response, field: str | None = None):
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["message"]
    if field is not None:
        assert field in [f["field"] for f in body["fields"]], body


def test_malformed_json_is_a_422_on_the_body_naming_line_and_column(client):
    body = b'{\n  "order_id": "O-1",\n  "customer": ,\n}'
    response = client.post("/v1/score", content=body, headers={"Content-Type": "application/json"})
    assert_clean_422(response, "body")
    assert response.json()["fields"] == [
        {"field": "body", "reason": "invalid JSON at line 3 column 15: Expecting value"}
    ]
    assert response.json()["message"].startswith("body: invalid JSON at line 3")


def test_wrong_types_are_a_422_naming_the_field(client):
    assert_clean_422(
        client.post("/v1/score", json=make_order_data(payment={"amount": "lots"})), "payment.amount"
    )


def test_missing_required_field_is_a_422_naming_it(client):
    data = make_order_data()
    del data["billing_address"]
    assert_clean_422(client.post("/v1/score", json=data), "billing_address")


def test_unknown_field_is_a_422_naming_it(client):
    assert_clean_422(client.post("/v1/score", json=make_order_data(voucher="X")), "voucher")


def test_impossible_country_is_a_422(client):
    data = make_order_data(shipping_address={"country": "ZZ"})
    assert_clean_422(client.post("/v1/score", json=data), "shipping_address.country")


def test_a_one_megabyte_string_is_refused_without_echo(client):
    huge = "A" * 1_000_000
    response = client.post("/v1/score", json=make_order_data(customer={"name": huge}))
    assert response.status_code in (413, 422)
    assert huge[:1000] not in response.text
    assert len(response.content) < 10_000


def test_a_one_megabyte_field_within_the_body_limit_is_a_422(client, settings):
    data = make_order_data(customer={"name": "B" * 5000})
    response = client.post("/v1/score", json=data)
    assert_clean_422(response, "customer.name")


def test_bad_input_changes_nothing_already_stored(client):
    good = make_order_data(order_id="O-keep-1")
    first = client.post("/v1/score", json=good).json()
    before = stored_count(client)
    bad = make_order_data(order_id="O-keep-1", payment={"amount": "-5"})
    assert client.post("/v1/score", json=bad).status_code == 422
    client.post("/v1/score", content=b"not json", headers={"Content-Type": "application/json"})
    assert stored_count(client) == before
    assert client.get("/v1/orders/O-keep-1").json()["decision"] == first


def test_scoring_without_an_api_key_is_refused(anonymous):
    response = anonymous.post("/v1/score", json=make_order_data())
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"  # says how to authenticate


def test_scoring_with_a_wrong_api_key_is_refused_and_stores_nothing(client):
    before = stored_count(client)
    response = client.post(
        "/v1/score",
        json=make_order_data(),
        headers={"Authorization": "Bearer fsk_not-a-real-key"},
    )
    assert response.status_code == 401
    assert stored_count(client) == before


def test_a_revoked_key_is_refused(client, runtime):
    from fraud.store import apikeys

    with runtime.sessions() as session:
        secret = apikeys.create_api_key(session, "old-service")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/v1/score", json=make_order_data(), headers=headers).status_code == 200
    runtime.revoke_api_key("old-service")
    assert client.post("/v1/score", json=make_order_data(), headers=headers).status_code == 401


def test_a_key_revoked_elsewhere_stops_working_once_the_cache_expires(client, runtime, monkeypatch):
    from fraud import runtime as runtime_module
    from fraud.store import apikeys

    with runtime.sessions() as session:
        secret = apikeys.create_api_key(session, "elsewhere")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/v1/score", json=make_order_data(), headers=headers).status_code == 200
    with runtime.sessions() as session:  # as `fraud apikey revoke` would, from another process
        apikeys.revoke_api_key(session, "elsewhere")
    later = runtime_module.time.monotonic() + runtime_module.API_KEY_CACHE_SECONDS + 1
    monkeypatch.setattr(runtime_module.time, "monotonic", lambda: later)
    assert client.post("/v1/score", json=make_order_data(), headers=headers).status_code == 401


def test_hostile_text_comes_back_as_data_not_markup(client):
    name = '<img src=x onerror="alert(1)">'
    client.post("/v1/score", json=make_order_data(order_id="O-xss-1", customer={"name": name}))
    response = client.get("/v1/orders/O-xss-1")
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(response.text)["order"]["customer"]["name"] == name


def test_with_the_bundled_model_the_decision_names_it_and_gives_a_probability(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from fraud.runtime import Runtime
    from fraud.settings import BUNDLED_MODEL_DIR, Settings
    from fraud.store import apikeys

    settings = Settings(data_dir=tmp_path, _env_file=None)
    runtime = Runtime.start(settings)
    try:
        with runtime.sessions() as session:
            key = apikeys.create_api_key(session, "svc")
        with TestClient(create_app(settings, runtime=runtime)) as client:
            body = client.post(
                "/v1/score", json=make_order_data(), headers={"Authorization": f"Bearer {key}"}
            ).json()
    finally:
        runtime.close()
    current = (BUNDLED_MODEL_DIR / "CURRENT").read_text(encoding="utf-8").strip()
    assert body["versions"]["model"] == current
    assert 0.0 <= body["model_probability"] <= 1.0
    assert body["signals_unavailable"] == []


def test_keys_that_normalise_longer_than_typed_are_stored_on_every_backend(db_url, tmp_path):
    """'㎯' folds to 'mm2': 200 of them make a 600-character address key."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from fraud.runtime import Runtime
    from fraud.settings import Settings
    from fraud.store import apikeys

    settings = Settings(
        data_dir=tmp_path, database_url=db_url, model_dir=tmp_path / "none", _env_file=None
    )
    runtime = Runtime.start(settings)
    try:
        with runtime.sessions() as session:
            key = apikeys.create_api_key(session, "svc")
        data = make_order_data(
            shipping_address={"street": "㎯" * 200},
            customer={"email": "İ" * 200 + "@example.com"},
        )
        with TestClient(create_app(settings, runtime=runtime)) as client:
            headers = {"Authorization": f"Bearer {key}"}
            assert client.post("/v1/score", json=data, headers=headers).status_code == 200
            again = make_order_data(shipping_address={"street": "㎯" * 200})
            assert client.post("/v1/score", json=again, headers=headers).status_code == 200
    finally:
        runtime.close()


def test_reusing_an_order_id_for_a_different_order_is_a_conflict(client):
    first = make_order_data(order_id="O-reuse-1")
    assert client.post("/v1/score", json=first).status_code == 200
    other = make_order_data(order_id="O-reuse-1", payment={"amount": "999.00"})
    response = client.post("/v1/score", json=other)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert client.get("/v1/orders/O-reuse-1").json()["order"]["payment"]["amount"] == "104.85"

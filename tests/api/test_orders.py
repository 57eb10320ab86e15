"""Outcomes, stored orders, health and the OpenAPI description."""

from __future__ import annotations

from factories import make_order_data


def test_outcome_is_recorded_and_shown_with_the_order(client):
    client.post("/v1/score", json=make_order_data(order_id="O-out-1"))
    response = client.post(
        "/v1/orders/O-out-1/outcome",
        json={"outcome": "chargeback", "at": "2027-01-20T10:00:00+01:00"},
    )
    assert response.status_code == 201
    stored = client.get("/v1/orders/O-out-1").json()
    assert [o["outcome"] for o in stored["outcomes"]] == ["chargeback"]


def test_outcome_for_an_unknown_order_is_404(client):
    response = client.post(
        "/v1/orders/O-nope/outcome", json={"outcome": "paid", "at": "2027-01-20T10:00:00+01:00"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_outcome_must_be_one_of_the_known_kinds(client):
    client.post("/v1/score", json=make_order_data(order_id="O-out-2"))
    response = client.post(
        "/v1/orders/O-out-2/outcome", json={"outcome": "stolen", "at": "2027-01-20T10:00:00+01:00"}
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "outcome"


def test_outcome_needs_a_timezone(client):
    client.post("/v1/score", json=make_order_data(order_id="O-out-3"))
    response = client.post(
        "/v1/orders/O-out-3/outcome", json={"outcome": "paid", "at": "2027-01-20T10:00:00"}
    )
    assert response.status_code == 422


def test_outcome_endpoint_needs_a_key(anonymous):
    response = anonymous.post(
        "/v1/orders/O-1/outcome", json={"outcome": "paid", "at": "2027-01-20T10:00:00+01:00"}
    )
    assert response.status_code == 401


def test_unknown_order_is_404(client):
    assert client.get("/v1/orders/O-missing").status_code == 404


def test_get_order_needs_a_key(anonymous):
    assert anonymous.get("/v1/orders/O-1").status_code == 401


def test_healthz_answers_without_a_key(anonymous):
    assert anonymous.get("/healthz").json()["status"] == "ok"


def test_readyz_reports_store_rules_and_geo(anonymous):
    response = anonymous.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["store"] == "ok"
    assert checks["rules"]
    assert "geo" in checks


def test_openapi_lists_every_endpoint(anonymous):
    paths = anonymous.get("/openapi.json").json()["paths"]
    assert {
        "/v1/score",
        "/v1/orders/{order_id}",
        "/v1/orders/{order_id}/outcome",
        "/healthz",
        "/readyz",
    } <= set(paths)


def test_a_bad_rules_file_on_reload_keeps_the_old_rules_running(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from fraud.rules import default_rules_path
    from fraud.runtime import Runtime
    from fraud.settings import Settings

    rules = tmp_path / "rules.yaml"
    rules.write_text(default_rules_path().read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "store", rules_path=rules, _env_file=None)
    runtime = Runtime.start(settings)
    try:
        before = runtime.rulebook.current.version
        rules.write_text("version: broken\nrules: [", encoding="utf-8")
        outcome = runtime.reload()
        assert "kept" in outcome["rules"]
        assert runtime.rulebook.current.version == before
        with TestClient(create_app(settings, runtime=runtime)) as client:
            from fraud.store import apikeys

            with runtime.sessions() as session:
                key = apikeys.create_api_key(session, "svc")
            body = client.post(
                "/v1/score",
                json=make_order_data(),
                headers={"Authorization": f"Bearer {key}"},
            ).json()
            assert body["versions"]["rules"] == before
    finally:
        runtime.close()


def test_a_retried_outcome_report_is_stored_once(client):
    client.post("/v1/score", json=make_order_data(order_id="O-out-retry"))
    body = {"outcome": "chargeback", "at": "2027-01-20T10:00:00+01:00"}
    assert client.post("/v1/orders/O-out-retry/outcome", json=body).status_code == 201
    assert client.post("/v1/orders/O-out-retry/outcome", json=body).status_code == 201
    outcomes = client.get("/v1/orders/O-out-retry").json()["outcomes"]
    assert [o["outcome"] for o in outcomes] == ["chargeback"]

"""/metrics: the named series after some traffic, bounded labels, the optional token."""

from __future__ import annotations

import pytest
from factories import make_order_data
from fastapi.testclient import TestClient
from promtext import samples, value

from api.main import create_app
from fraud.monitoring.stages import STAGES, set_stage_observer, stage_observer
from fraud.runtime import Runtime
from fraud.settings import BUNDLED_MODEL_DIR, Settings
from fraud.store import apikeys

TOKEN = "s3cret-scrape"  # noqa: S105 - this test's own token


def _metrics(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_scoring_traffic_shows_in_every_named_series(client, runtime):
    before = _metrics(client)
    ids = [f"O-metrics-{i}" for i in range(3)]
    for order_id in ids:
        assert client.post("/v1/score", json=make_order_data(order_id=order_id)).status_code == 200
    assert client.post("/v1/score", json=make_order_data(order_id=ids[0])).status_code == 200
    assert client.get(f"/v1/orders/{ids[1]}").status_code == 200
    outcome = {"outcome": "chargeback", "at": "2026-12-01T10:00:00+01:00"}
    assert client.post(f"/v1/orders/{ids[2]}/outcome", json=outcome).status_code == 201
    after = _metrics(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("fraud_http_requests_total", method="POST", route="/v1/score",
                 status="200") == 4
    assert delta("fraud_http_requests_total", method="GET", route="/v1/orders/{order_id}",
                 status="200") == 1
    assert delta("fraud_http_request_duration_seconds_count", route="/v1/score") == 4
    assert delta("fraud_outcomes_reported_total", outcome="chargeback") == 1
    # three orders decided: the retry of the first returns the stored decision, not a new one
    stored = [runtime.get_order(i).decision for i in ids]
    for action in {d.action.label for d in stored}:
        expected = sum(d.action.label == action for d in stored)
        assert delta("fraud_decisions_total", action=action) == expected
    assert delta("fraud_decision_score_count") == 3
    assert delta("fraud_decision_score_sum") == sum(d.score for d in stored)
    hits = [h.rule_id for d in stored for h in d.rule_hits if h.status == "hit"]
    for rule_id in set(hits):
        assert delta("fraud_rule_hits_total", rule_id=rule_id) == hits.count(rule_id)
    # the stages of a stored order, once per decided order; validation for each POST /v1/score
    for stage in ("signals", "history", "rules", "store_write"):
        assert delta("fraud_stage_duration_seconds_count", stage=stage) == 3, stage
    assert delta("fraud_stage_duration_seconds_count", stage="validation") == 4
    assert delta("fraud_stage_duration_seconds_count", stage="model") == 0  # rules only here


def test_no_label_holds_an_order_id_or_a_raw_path(client):
    client.post("/v1/score", json=make_order_data(order_id="O-secret-label-1"))
    client.get("/v1/orders/O-secret-label-1")
    client.get("/v1/orders/O-never-stored-2")
    client.get("/wp-admin/O-probe-3.php")
    client.request("BREW-O-POT-4", "/healthz")
    text = _metrics(client)
    assert "O-secret-label-1" not in text and "O-never-stored-2" not in text
    assert "O-probe-3" not in text and "wp-admin" not in text
    assert "O-POT-4" not in text
    methods = {labels["method"] for name, labels, _ in samples(text) if "method" in labels}
    assert "other" in methods and methods <= {"GET", "POST", "other", "HEAD", "PUT", "PATCH",
                                              "DELETE", "OPTIONS"}
    routes = {labels["route"] for name, labels, _ in samples(text) if "route" in labels}
    assert "unmatched" in routes
    assert all(r.startswith("/") or r == "unmatched" for r in routes)


def test_a_body_refused_before_routing_is_counted_under_its_route(client):
    before = _metrics(client)
    response = client.post("/v1/score", content=b"{" + b" " * 300_000 + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    after = _metrics(client)
    labels = {"method": "POST", "route": "/v1/score", "status": "413"}
    assert value(after, "fraud_http_requests_total", **labels) - value(
        before, "fraud_http_requests_total", **labels) == 1


def test_model_probability_and_unavailable_signals_are_counted(tmp_path):
    settings = Settings(data_dir=tmp_path, model_dir=BUNDLED_MODEL_DIR,
                        geoip_city_path=tmp_path / "missing.mmdb", _env_file=None)
    runtime = Runtime.start(settings)
    try:
        with runtime.sessions() as session:
            key = apikeys.create_api_key(session, "svc")
        with TestClient(create_app(settings, runtime=runtime)) as client:
            client.headers["Authorization"] = f"Bearer {key}"
            before = _metrics(client)
            body = client.post("/v1/score", json=make_order_data()).json()
            after = _metrics(client)
    finally:
        set_stage_observer(None)
        runtime.close()
    assert "geo" in body["signals_unavailable"]

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("fraud_signals_unavailable_total", signal="geo") == 1
    assert delta("fraud_model_probability_count") == 1
    assert delta("fraud_model_probability_sum") == pytest.approx(body["model_probability"])
    assert delta("fraud_stage_duration_seconds_count", stage="model") == 1


def test_metrics_name_every_stage_the_pipeline_has(client):
    client.post("/v1/score", json=make_order_data())
    stages = {labels.get("stage") for name, labels, _ in samples(_metrics(client))
              if name == "fraud_stage_duration_seconds_count"}
    assert set(STAGES) <= stages


def test_a_metrics_token_keeps_strangers_out(tmp_path):
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "none",
                        metrics_token=TOKEN, _env_file=None)
    runtime = Runtime.start(settings)
    try:
        with TestClient(create_app(settings, runtime=runtime)) as client:
            refused = client.get("/metrics")
            wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
            allowed = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        set_stage_observer(None)
        runtime.close()
    assert refused.status_code == wrong.status_code == 401
    assert refused.json()["code"] == "unauthorized"
    assert allowed.status_code == 200 and "fraud_http_requests_total" in allowed.text


def test_metrics_switched_off_serve_nothing_and_time_nothing(tmp_path):
    set_stage_observer(None)
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "none", metrics_enabled=False,
                        _env_file=None)
    runtime = Runtime.start(settings)
    try:
        with TestClient(create_app(settings, runtime=runtime)) as client:
            assert client.get("/metrics").status_code == 404
            assert stage_observer() is None
    finally:
        runtime.close()


def test_the_review_queue_and_webhook_failures_show_after_traffic(client, runtime):
    """The queue gauges are read from the store at scrape time; a webhook attempt that
    fails is counted by its result."""
    import socket
    from datetime import UTC, datetime, timedelta

    from fraud.domain import Action, Decision, Versions
    from fraud.review.actions import Done, ReviewAction
    from fraud.review.states import ReviewState, Status
    from fraud.review.webhook import Webhook, deliver, enqueue
    from fraud.store import repository

    empty = _metrics(client)
    assert value(empty, "fraud_review_queue_size") == 0
    assert value(empty, "fraud_review_queue_oldest_age_seconds") == 0
    held_at = datetime.now(UTC) - timedelta(hours=2)
    ids = []
    for i in range(3):
        order = parse_order_data(make_order_data(order_id=f"O-held-{i}"))
        decision = Decision(order.order_id, 70, Action.REVIEW, (), (), (),
                            Versions(rules="t", model="none", service="t"))
        with runtime.sessions() as session:
            repository.save_decision(session, order, decision, {},
                                     now=held_at + timedelta(minutes=i))
        ids.append(order.order_id)
    text = _metrics(client)
    assert value(text, "fraud_review_queue_size") == 3
    assert 2 * 3600 - 60 <= value(text, "fraud_review_queue_oldest_age_seconds") < 3 * 3600
    assert value(text, "fraud_review_queue_orders", age="1-4h") == 3
    assert value(text, "fraud_review_queue_orders", age="0-1h") == 0

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    done = Done(ids[0], ReviewAction.APPROVE, "rita",
                ReviewState(ids[0], Status.APPROVED, None, 1), datetime.now(UTC))
    hook = Webhook(f"http://127.0.0.1:{port}/", b"secret", attempts=2, first_wait_seconds=0.01)
    assert not deliver(hook, runtime.sessions, enqueue(runtime.sessions, done))
    after = _metrics(client)
    assert value(after, "fraud_webhook_failures_total", result="failed") \
        - value(text, "fraud_webhook_failures_total", result="failed") == 2
    assert value(after, "fraud_webhook_failures_total", result="gave_up") \
        - value(text, "fraud_webhook_failures_total", result="gave_up") == 1


def parse_order_data(data: dict):  # noqa: ANN201
    import json

    from fraud.schema import parse_order

    return parse_order(json.dumps(data))

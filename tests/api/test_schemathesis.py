"""schemathesis against the live OpenAPI schema (issue 10, generated inputs).

Requests generated from ``/openapi.json`` itself, valid and invalid, go to the app
with a valid API key: no answer may be a 5xx, every answer must match the schema
(status documented, body of the documented shape), and an operation that answered
2xx must refuse the same request without a key or with a wrong one. A second test
walks every operation the schema lists: each one that declares a security scheme
answers 401 without a key and with an invented one; the rest are the public ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from api.ratelimit import Budgets, RateLimits, make_storage
from fraud.runtime import Runtime
from fraud.settings import Settings

# generous rates: the probes of ignored_auth are failed authentications by design
RATES = {"rate_limit_failed_auth": "100000/minute"}
EXAMPLES_PER_OPERATION = 30
PUBLIC = {("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics")}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    settings_ = Settings(data_dir=tmp, model_dir=tmp / "no-models", _env_file=None, **RATES)
    runtime = Runtime.start(settings_)
    key = runtime.create_api_key("schemathesis")
    app = create_app(settings_, runtime=runtime)
    # schemathesis calls the app without running its lifespan: what it would set up
    app.state.rate_limits = RateLimits(Budgets.from_settings(settings_), make_storage(None, ""))
    yield app, key
    runtime.close()


@pytest.fixture(scope="module")
def api_schema(served: tuple[FastAPI, str]) -> Any:
    app, _ = served
    return schemathesis.openapi.from_asgi("/openapi.json", app)


# (method, path) of every operation the schema lists; a new one must be added here
OPERATIONS = [("POST", "/v1/score"), ("GET", "/v1/orders/{order_id}"),
              ("POST", "/v1/orders/{order_id}/outcome"), ("POST", "/v1/events"),
              ("GET", "/v1/events/{event_id}"), ("GET", "/healthz"), ("GET", "/readyz"),
              ("GET", "/metrics")]
# health checks and metrics take no input: there is nothing to get wrong
CASES = [(method, path, mode) for method, path in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if not (mode is GenerationMode.NEGATIVE and path in ("/healthz", "/readyz", "/metrics"))]


def test_the_list_of_operations_is_the_schema_s(api_schema: Any) -> None:
    listed = {(r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()}
    assert listed == set(OPERATIONS)


# schemathesis's own pytest plugin does not run under this pytest: hypothesis drives
# its strategies directly, one test per operation and kind of data
@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=str)
def test_generated_requests_get_no_5xx_and_answers_that_match_the_schema(
    api_schema: Any, served: tuple[FastAPI, str], method: str, path: str, mode: GenerationMode
) -> None:
    _, key = served
    operation = api_schema[path][method]
    sent: list[int] = []

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {key}"},
            checks=[not_a_server_error, status_code_conformance, response_schema_conformance,
                    ignored_auth],
        )
        sent.append(response.status_code)

    check()
    assert sent  # requests went out
    print(f"{method} {path} {mode}: {len(sent)} generated requests, statuses {sorted(set(sent))}")


def test_every_operation_that_is_not_public_refuses_a_missing_or_invented_key(
    served: tuple[FastAPI, str],
) -> None:
    app, _ = served
    with TestClient(app) as client:
        spec = client.get("/openapi.json").json()
        secured, public = set(), set()
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                (secured if operation.get("security") else public).add((method, path))
                if not operation.get("security"):
                    continue
                url = path.replace("{order_id}", "O-2026-000123")
                for headers in ({}, {"Authorization": "Bearer fsk_invented"}):
                    response = client.request(method, url, headers=headers, json={})
                    assert response.status_code == 401, (method, path, headers)
                    assert response.json()["code"] == "unauthorized"
    assert public == PUBLIC
    assert {p for _, p in secured} >= {"/v1/score", "/v1/orders/{order_id}",
                                       "/v1/orders/{order_id}/outcome"}


def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(served: tuple[FastAPI, str]) -> None:
    """Found by the generated requests: it was a 400 of no documented shape."""
    app, key = served
    with TestClient(app) as client:
        response = client.post("/v1/score", content=b"\xff\xfe{\x0f$",
                               headers={"Authorization": f"Bearer {key}",
                                        "Content-Type": "application/json"})
    assert response.status_code == 422
    body = response.json()
    assert body["fields"][0]["field"] == "body"
    assert "not UTF-8" in body["fields"][0]["reason"]

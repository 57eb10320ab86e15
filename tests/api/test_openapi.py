"""The OpenAPI page is the API's reference: complete, with true examples, and usable offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from pydantic import TypeAdapter

import api.schemas
from api.errors import ERROR_STATUSES
from api.examples import ORDER
from fraud.schema import Order

# Every status an endpoint can answer besides success (README "The API" says the same).
ERRORS_BY_ENDPOINT = {
    ("post", "/v1/score"): {401, 409, 413, 422, 429, 500, 503},
    ("get", "/v1/orders/{order_id}"): {401, 404, 413, 422, 429, 500, 503},
    ("post", "/v1/orders/{order_id}/outcome"): {401, 404, 413, 422, 429, 500, 503},
    ("post", "/v1/events"): {401, 409, 413, 422, 429, 500, 503},
    ("get", "/v1/events/{event_id}"): {401, 404, 413, 422, 429, 500, 503},
    ("get", "/readyz"): {503},
}


@pytest.fixture
def spec(anonymous) -> dict:
    return anonymous.get("/openapi.json").json()


def _properties(spec: dict):
    for model, schema in spec["components"]["schemas"].items():
        for name, prop in schema.get("properties", {}).items():
            yield model, name, prop


def _refers_to_a_model(prop: dict) -> bool:
    inner = [prop, prop.get("items", {}), *prop.get("anyOf", [])]
    return any("$ref" in p for p in inner)


def test_every_field_of_every_request_and_answer_has_a_description(spec) -> None:
    undocumented = [f"{m}.{n}" for m, n, prop in _properties(spec) if not prop.get("description")]
    assert undocumented == []


def test_every_field_has_an_example_unless_its_model_has_one(spec) -> None:
    schemas = spec["components"]["schemas"]
    missing = [
        f"{m}.{n}" for m, n, prop in _properties(spec)
        if "examples" not in prop and "examples" not in schemas[m] and not _refers_to_a_model(prop)
    ]
    assert missing == []


def test_every_answer_model_has_an_example_that_it_accepts(spec) -> None:
    schemas = spec["components"]["schemas"]
    answers = ["DecisionOut", "StoredOrderOut", "OutcomeIn", "OutcomeOut", "ErrorOut", "HealthOut"]
    for name in answers:
        examples = schemas[name].get("examples")
        assert examples, f"{name} has no example"
        model = getattr(api.schemas, name)
        for example in examples:
            model.model_validate(example)


def test_the_score_example_is_a_valid_order_with_every_optional_part(spec) -> None:
    body = spec["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]
    example = body["examples"]["readme"]["value"]
    TypeAdapter(Order).validate_python(example)
    assert example["order_id"] == ORDER["order_id"]
    assert {"customer", "payment", "items", "user_agent"} <= set(example)


@pytest.mark.parametrize(("method", "path"), list(ERRORS_BY_ENDPOINT))
def test_every_error_status_of_an_endpoint_is_documented_with_an_example(
    spec, method: str, path: str
) -> None:
    responses = spec["paths"][path][method]["responses"]
    expected = ERRORS_BY_ENDPOINT[(method, path)]
    assert {int(s) for s in responses if int(s) >= 400} == expected
    errors = expected - {503} if path == "/readyz" else expected  # /readyz: 503 is HealthOut
    for status in errors:
        content = responses[str(status)]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
        example = api.schemas.ErrorOut.model_validate(content["example"])
        assert example.code == ERROR_STATUSES[status][1]["code"]


def test_a_conflict_on_a_reused_order_id_is_described(spec) -> None:
    described = spec["paths"]["/v1/score"]["post"]["responses"]["409"]["description"]
    assert "order id" in described and "reused" in described


def test_a_store_that_cannot_be_reached_is_a_503_naming_no_internals(client, runtime, monkeypatch):
    from factories import make_order_data
    from sqlalchemy.exc import OperationalError

    def unreachable(order):
        raise OperationalError("INSERT INTO orders", {}, ConnectionRefusedError("secret-host"))

    monkeypatch.setattr(runtime, "score", unreachable)
    response = client.post("/v1/score", json=make_order_data())
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json() == {
        "code": "store_unavailable", "message": "the store is unavailable; retry later",
        "fields": [],
    }


class _Links(HTMLParser):
    """Every URL a page loads: src, href and ReDoc's spec-url attributes, and Swagger UI's
    `url: '...'` in its script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href", "spec-url") and v]

    def handle_data(self, data: str) -> None:
        self.urls += re.findall(r"""\burl:\s*['"]([^'"]+)['"]""", data)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_everything_from_the_service_itself(anonymous, page: str) -> None:
    response = anonymous.get(page)
    assert response.status_code == 200
    html = response.text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    links = _Links()
    links.feed(html)
    scripts = [u for u in links.urls if u.endswith(".js")]
    assert scripts, "the page loads no script"
    assert "/openapi.json" in links.urls
    for url in links.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = anonymous.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url

"""Generated orders and generated garbage through the API (issue 10, generated inputs).

Any JSON body is either scored or refused with a 422 that names the field; every
valid order (unicode names, IPv4 and IPv6, empty optional parts, amounts up to the
largest the schema takes, times across 2000-2099 with any offset, every country) is
scored, and no signal raises on it. Examples per property: the profile in conftest.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from strategies import json_values, orders, paths

from api.main import create_app
from fraud.history import MemoryHistory
from fraud.keys import order_keys
from fraud.runtime import Runtime
from fraud.schema import Order
from fraud.settings import Settings
from fraud.signals import Context, registered_signals


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    tmp = tmp_path_factory.mktemp("property")
    rt = Runtime.start(Settings(data_dir=tmp, model_dir=tmp / "no-models", _env_file=None))
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def client(runtime: Runtime) -> Iterator[TestClient]:
    key = runtime.create_api_key("property-tests")
    with TestClient(create_app(runtime.settings, runtime=runtime)) as c:
        c.headers["Authorization"] = f"Bearer {key}"
        yield c


def post(client: TestClient, body: Any) -> Any:
    return client.post("/v1/score", content=json.dumps(body),
                       headers={"Content-Type": "application/json"})


def fresh(order: dict[str, Any]) -> dict[str, Any]:
    """The order under an id no other example used (a reused id with other contents is
    a 409 by design)."""
    return {**order, "order_id": f"P-{uuid.uuid4().hex}"}


def assert_names_a_field(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_input"
    fields = [f["field"] for f in body["fields"]]
    assert fields and all(isinstance(f, str) and f for f in fields)
    assert all(f["reason"] for f in body["fields"])
    return fields


@given(order=orders())
def test_every_valid_order_is_scored(client: TestClient, order: dict[str, Any]) -> None:
    response = post(client, fresh(order))
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["action"] in {"approve", "review", "decline"}
    assert 0 <= decision["score"] <= 100


@given(body=json_values)
def test_any_json_that_is_not_an_order_gets_a_422_naming_a_field(
    client: TestClient, body: Any
) -> None:
    assert_names_a_field(post(client, body))


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def _related(field: str, path: str) -> bool:
    """The error is about the changed part, or about an object holding it (a rule over
    several of its fields); "order" is the whole order."""
    return field == "order" or path.startswith(field) or field.startswith(path)


@given(order=orders(), data=st.data())
def test_an_order_with_one_part_changed_is_scored_or_refused_naming_that_part(
    client: TestClient, order: dict[str, Any], data: st.DataObject
) -> None:
    order = fresh(order)
    path = data.draw(st.sampled_from([p for p in paths(order) if p != ("order_id",)]))
    *parents, last = path
    holder: Any = order
    for part in parents:
        holder = holder[part]
    change = data.draw(st.sampled_from(["replace", "delete", "add unknown"]))
    if change == "replace":
        holder[last] = data.draw(json_values)
    elif change == "delete" and isinstance(holder, dict):
        del holder[last]
    elif isinstance(holder, dict):
        unknown = data.draw(st.text(min_size=1, max_size=20).filter(lambda k: k not in holder))
        holder[unknown] = data.draw(json_values)
        path = (*parents, unknown)
    else:  # deleting from a list leaves a valid list or an empty one
        holder.pop(last)
        path = tuple(parents)
    response = post(client, order)
    if response.status_code == 200:
        return  # the change happened to be valid (a null optional field, a deleted item)
    fields = assert_names_a_field(response)
    assert any(_related(f, _dotted(path)) for f in fields), (fields, path)


@given(order=orders())
def test_no_signal_raises_on_any_valid_order(runtime: Runtime, order: dict[str, Any]) -> None:
    parsed = Order.model_validate_json(json.dumps(order))
    # a history holding an earlier order with the same keys, so history signals have work
    earlier = parsed.model_copy(update={"order_id": "EARLIER",
                                        "created_at": parsed.created_at - timedelta(hours=1)})
    history = MemoryHistory.from_orders([earlier], fx_rates=runtime.settings.fx_rates)
    ctx = Context(settings=runtime.settings, geo=runtime.geo, history=history,
                  order_keys=order_keys(parsed))
    for signal in registered_signals():
        values = signal.compute(parsed, ctx)
        assert set(values) <= {f.name for f in signal.features}, signal.name

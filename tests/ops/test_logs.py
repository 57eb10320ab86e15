"""Log lines carry the request id and UTC times; no personal data reaches any log line."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from factories import make_order_data, merge
from serving import running_server

import fraud.signals
from fraud.cli.server_logging import (
    JsonLineFormatter,
    RequestIdFilter,
    UtcFormatter,
    exception_without_message,
)
from fraud.monitoring.request_id import request_id_from
from fraud.signals import _REGISTRY

EMAIL = "zora.leakmail@example.org"
NAME = "Zora Leaknaam"
PHONE = "+31 6 4812 3377"
STREET = "Lekkagestraat"
IP = "81.204.77.190"
PERSONAL = (EMAIL, NAME, PHONE, STREET, IP, "leakmail", "Leaknaam", "4812", "81.204.77")


def _hostile(order_id: str, **extra: object) -> dict:
    return make_order_data(**merge({
        "order_id": order_id,
        "customer": {"name": NAME, "email": EMAIL, "phone": PHONE},
        "billing_address": {"street": STREET},
        "shipping_address": {"street": STREET},
        "ip_address": IP,
    }, extra))


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every record at DEBUG and up, formatted as JSON and as text, the way ``fraud serve``
    formats them."""
    stream = io.StringIO()
    handlers = []
    for formatter in (JsonLineFormatter(), UtcFormatter("%(levelprefix)s %(message)s")):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler.addFilter(RequestIdFilter())
        handlers.append(handler)
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield stream
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        root.setLevel(old_level)


def _failing(order, ctx):  # noqa: ANN001, ANN202 - a signal's compute
    raise ValueError(f"cannot parse {order.customer.email} for {order.customer.name}")


def _break_email_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The e-mail signal raises, quoting the order in its exception's message."""
    monkeypatch.setitem(_REGISTRY, "email", replace(_REGISTRY["email"], compute=_failing))
    monkeypatch.setattr(fraud.signals, "_ordered", None)  # the registry's order, recomputed


def test_no_personal_data_in_any_log_line(client, captured, monkeypatch):
    hostile = _hostile("O-privacy-1")
    assert client.post("/v1/score", json=hostile).status_code == 200
    # bad requests: an invalid field, an unknown field, broken JSON, a conflict
    bad = _hostile("O-privacy-3", ip_address=f"{IP}.{EMAIL}")
    assert client.post("/v1/score", json=bad).status_code == 422
    assert client.post("/v1/score", json={**hostile, STREET: EMAIL}).status_code == 422
    assert client.post("/v1/score", content=f'{{"email": "{EMAIL}", ',
                       headers={"content-type": "application/json"}).status_code == 422
    conflict = _hostile("O-privacy-1", payment={"amount": "999.00"})
    assert client.post("/v1/score", json=conflict).status_code == 409
    assert client.get("/v1/orders/O-privacy-1").status_code == 200
    # a signal that fails, quoting the order in its exception's message
    _break_email_signal(monkeypatch)
    failed = client.post("/v1/score", json=_hostile("O-privacy-2"))
    assert failed.status_code == 200 and "email" in failed.json()["signals_unavailable"]
    output = captured.getvalue()
    assert "O-privacy-2" in output  # the signal failure was logged, with the order id
    assert "(message not logged)" in output
    leaked = [value for value in PERSONAL if value in output]
    assert leaked == [], output


def test_a_request_s_lines_carry_its_id_and_the_answer_echoes_it(client, captured, monkeypatch):
    _break_email_signal(monkeypatch)
    response = client.post("/v1/score", json=make_order_data(order_id="O-rid-1"),
                           headers={"X-Request-ID": "lb-7f3a9c"})
    assert response.headers["X-Request-ID"] == "lb-7f3a9c"
    lines = [json.loads(line) for line in captured.getvalue().splitlines()
             if line.startswith("{")]
    failure = [line for line in lines if "O-rid-1" in line["message"]]
    assert failure and all(line["request_id"] == "lb-7f3a9c" for line in failure)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
               for line in lines)


@pytest.mark.parametrize("given", [None, "", "a b", "x" * 200, "id\r\nforged: line", "<script>"])
def test_a_missing_or_insane_request_id_is_replaced_by_a_new_one(client, given):
    headers = {} if given is None else {"X-Request-ID": given}
    response = client.get("/healthz", headers=headers)
    echoed = response.headers["X-Request-ID"]
    assert echoed != given and re.fullmatch(r"[0-9a-f]{32}", echoed)
    assert request_id_from(given) != request_id_from(given)  # a new one each time


def test_tracebacks_name_the_exception_but_not_its_message():
    try:
        try:
            raise KeyError(EMAIL)
        except KeyError as exc:
            raise RuntimeError(f"{NAME}\nsecond line {STREET}") from exc
    except RuntimeError as exc:
        text = exception_without_message((type(exc), exc, exc.__traceback__))
    assert "builtins.KeyError: (message not logged)" in text
    assert "builtins.RuntimeError: (message not logged)" in text
    assert "test_tracebacks_name_the_exception_but_not_its_message" in text  # where it was
    assert all(value not in text for value in (EMAIL, NAME, STREET))


@pytest.mark.xdist_group("fraud_serve")
@pytest.mark.slow
def test_fraud_serve_writes_one_json_object_a_line_with_the_request_id(tmp_path):
    with running_server(tmp_path, log_format="json") as server:
        response = httpx.post(f"{server.url}/v1/score", json=_hostile("O-json-1"),
                              headers={"Authorization": f"Bearer {server.key}",
                                       "X-Request-ID": "trace-0042"})
        assert response.status_code == 200
        assert httpx.post(f"{server.url}/v1/score", json={"order_id": EMAIL},
                          headers={"Authorization": f"Bearer {server.key}"}).status_code == 422
        httpx.get(f"{server.url}/v1/orders/O-json-1?email={EMAIL}")
        import time

        time.sleep(0.5)  # the access line is written after the answer is sent
        lines = server.log().splitlines()
    records = lines[next(i for i, line in enumerate(lines) if line.startswith("{")):]
    parsed = [json.loads(line) for line in records]  # every line after start-up is JSON
    assert all(set(p) >= {"time", "level", "logger", "request_id", "message"} for p in parsed)
    access = [p for p in parsed if p["logger"] == "uvicorn.access" and p["path"] == "/v1/score"]
    assert access[0]["request_id"] == "trace-0042" and access[0]["status"] == 200
    assert all(value not in "\n".join(records) for value in PERSONAL)


def test_an_unexpected_error_is_logged_with_the_request_id_and_without_the_order(
    client, runtime, captured, monkeypatch
):
    def broken(order):  # noqa: ANN001, ANN202 - Runtime.score
        raise RuntimeError(f"bug while storing {order.customer.email}")

    monkeypatch.setattr(runtime, "score", broken)
    response = client.post("/v1/score", json=_hostile("O-bug-1"),
                           headers={"X-Request-ID": "bug-report-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "bug-report-1"
    lines = [json.loads(line) for line in captured.getvalue().splitlines()
             if line.startswith("{")]
    unhandled = [line for line in lines if line["message"] == "unhandled error"]
    assert unhandled and unhandled[0]["request_id"] == "bug-report-1"
    assert "builtins.RuntimeError: (message not logged)" in unhandled[0]["exc_info"]
    assert all(value not in captured.getvalue() for value in PERSONAL)

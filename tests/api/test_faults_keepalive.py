"""After an unhandled error, the same keep-alive connection keeps working (issue 10
item 5): the 500 is a complete response, and the next request on that connection is
answered, not reset. Runs a real uvicorn server and a raw ``http.client`` connection,
which (unlike a pooled client) never silently reconnects."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from factories import make_order_data
from helpers.live_server import live_server

from api.main import create_app


class Boom(RuntimeError):
    pass


@pytest.fixture
def failing_server(settings, runtime, api_key, monkeypatch) -> Iterator[tuple[str, int]]:
    def broken(order):  # noqa: ANN001, ANN202 - a bug deep in scoring
        raise Boom("a bug; customer Jan Jansen must not reach the client")

    monkeypatch.setattr(runtime, "score", broken)
    with live_server(create_app(settings, runtime=runtime)) as url:
        parts = urlsplit(url)
        yield parts.hostname or "127.0.0.1", parts.port or 80


def _post(conn: http.client.HTTPConnection, path: str, body: dict, key: str) -> tuple[int, dict]:
    conn.request("POST", path, body=json.dumps(body), headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def test_the_connection_serves_the_next_request_after_a_500(failing_server, api_key) -> None:
    host, port = failing_server
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        for _ in range(20):
            status, body = _post(conn, "/v1/score", make_order_data(), api_key)
            assert status == 500
            assert body == {"code": "internal_error", "message": "internal error; see server log",
                            "fields": []}
            conn.request("GET", "/healthz")  # same socket: http.client does not reconnect
            response = conn.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["status"] == "ok"
            assert conn.sock is not None  # still the one connection, never closed and reopened
    finally:
        conn.close()


def test_an_unhandled_error_is_logged_once_without_the_request(
    failing_server, api_key, caplog
) -> None:
    host, port = failing_server
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        with caplog.at_level("ERROR"):
            status, _ = _post(conn, "/v1/score", make_order_data(), api_key)
    finally:
        conn.close()
    assert status == 500
    records = [r for r in caplog.records if r.exc_info and r.exc_info[0] is Boom]
    assert len(records) == 1
    assert "Jan Jansen" not in records[0].getMessage()

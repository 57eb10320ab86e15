"""A frozen, stopped or locked store: 503 with ``Retry-After`` within the store timeout,
``/healthz`` unaffected, ``/readyz`` saying so within about a second, and recovery by
itself once the store is back (issue 10 item 3).

PostgreSQL sits behind a TCP proxy the test can freeze (a black hole: connections are
accepted, nothing is forwarded) or stop (connections refused, open ones cut). The
service runs in a real uvicorn server on a thread, so requests travel over sockets and
share one event loop, as in production.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from factories import make_order_data
from helpers.live_server import live_server
from helpers.tcp_proxy import TcpProxy, tcp_proxy
from sqlalchemy.engine import make_url

from api.main import create_app
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store.db import upgrade_database

STORE_TIMEOUT = 1.0
READY_CHECK = 0.5
# A hang guard for each request, not a timing assert: far above the store timeout, so a
# request that waits for the freeze to end (the fault) fails the test instead of hanging.
HANG_GUARD = STORE_TIMEOUT + 15
IN_FLIGHT = 8  # concurrent scoring requests caught by the freeze


@dataclass
class Service:
    url: str
    runtime: Runtime
    key: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=HANG_GUARD,
                            headers={"Authorization": f"Bearer {self.key}"})


@contextmanager
def _serve(database_url: str, tmp_path: Path) -> Iterator[Service]:
    settings = Settings(
        data_dir=tmp_path, model_dir=tmp_path / "no-models", database_url=database_url,
        store_timeout_seconds=STORE_TIMEOUT, ready_check_seconds=READY_CHECK, _env_file=None,
    )
    runtime = Runtime.start(settings)
    key = runtime.create_api_key("order-service")
    try:
        with live_server(create_app(settings, runtime=runtime)) as url:
            yield Service(url, runtime, key)
    finally:
        runtime.close()


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    target = make_url(postgres_url)
    with tcp_proxy(target.host or "127.0.0.1", target.port or 5432) as p:
        yield p


@pytest.fixture
def postgres_service(
    new_database: Callable[[str], str], proxy: TcpProxy, tmp_path: Path
) -> Iterator[Service]:
    direct = new_database("postgresql")
    upgrade_database(direct)
    through_proxy = make_url(direct).set(host="127.0.0.1", port=proxy.port)
    with _serve(through_proxy.render_as_string(hide_password=False), tmp_path) as service:
        yield service


def _until(check: Callable[[], bool], what: str, within: float = 60.0) -> None:
    """Poll ``check`` until it holds; a generous bound against a hang, not a timing assert."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.1)


def _assert_store_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["code"] == "store_unavailable"
    assert response.json()["message"] == "the store is unavailable; retry later"


def _scores(client: httpx.Client, body: dict) -> bool:
    return client.post("/v1/score", json=body).status_code == 200


@pytest.mark.postgres
def test_a_frozen_postgresql_answers_503_and_the_service_recovers_by_itself(
    postgres_service: Service, proxy: TcpProxy
) -> None:
    first, during = make_order_data(order_id="O-before-freeze"), make_order_data(
        order_id="O-during-freeze")
    with postgres_service.client() as client, httpx.Client(
        base_url=postgres_service.url, timeout=5
    ) as probe:
        assert client.post("/v1/score", json=first).status_code == 200  # key now cached

        proxy.freeze()
        answers: list[httpx.Response] = []

        def score_once() -> None:
            with postgres_service.client() as own:
                answers.append(own.post("/v1/score", json=during))

        scoring = [threading.Thread(target=score_once) for _ in range(IN_FLIGHT)]
        for thread in scoring:
            thread.start()
        _until(lambda: bool(postgres_service.runtime.watchdog._held), "a request on the store")
        # while those requests wait on the frozen store: liveness answers, readiness says so
        assert probe.get("/healthz").json()["status"] == "ok"
        ready = probe.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["store"].startswith("unavailable")
        for thread in scoring:
            thread.join(HANG_GUARD)
        assert len(answers) == IN_FLIGHT
        for answer in answers:
            _assert_store_unavailable(answer)
        assert postgres_service.runtime.watchdog.cuts >= 1

        proxy.resume()
        _until(lambda: _scores(client, during), "scoring again after the freeze")
        _until(lambda: probe.get("/readyz").status_code == 200, "/readyz ok again")
        stored = client.get("/v1/orders/O-before-freeze")
        assert stored.status_code == 200 and stored.json()["decision"] is not None


@pytest.mark.postgres
def test_a_stopped_postgresql_answers_503_not_500_and_the_service_recovers(
    postgres_service: Service, proxy: TcpProxy
) -> None:
    body = make_order_data(order_id="O-while-stopped")
    with postgres_service.client() as client:
        assert client.post("/v1/score", json=make_order_data()).status_code == 200

        proxy.stop()  # the open pooled connections are cut, new ones refused
        for _ in range(3):
            _assert_store_unavailable(client.post("/v1/score", json=body))
        _assert_store_unavailable(client.get("/v1/orders/O-while-stopped"))
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        assert client.get("/healthz").status_code == 200

        proxy.resume()
        _until(lambda: _scores(client, body), "scoring again after the restart")
        assert client.get("/v1/orders/O-while-stopped").status_code == 200


def test_a_locked_sqlite_store_answers_503_and_serves_again_once_released(
    tmp_path: Path,
) -> None:
    database = tmp_path / "fraud.db"
    with _serve(f"sqlite:///{database}", tmp_path) as service, service.client() as client:
        assert client.post("/v1/score", json=make_order_data()).status_code == 200
        # another process holding the write lock longer than the store timeout
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        body = make_order_data(order_id="O-while-locked")
        _assert_store_unavailable(client.post("/v1/score", json=body))
        assert client.get("/healthz").status_code == 200
        holder.execute("ROLLBACK")
        holder.close()
        assert client.post("/v1/score", json=body).status_code == 200


class _FrozenEngine:
    """An engine whose connect waits until released: a store that does not answer."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.connects = 0

    @contextmanager
    def connect(self) -> Iterator[object]:
        self.connects += 1
        self.released.wait(HANG_GUARD)

        class _Conn:
            def exec_driver_sql(self, _sql: str) -> None:
                return None

        yield _Conn()


def test_readiness_checks_never_pile_up_on_a_frozen_store() -> None:
    import asyncio

    from fraud.store.probe import StoreProbe

    engine = _FrozenEngine()
    probe = StoreProbe(engine, answer_within=0.2, remember=0.2)  # type: ignore[arg-type]
    try:
        answers: list[str] = []
        askers = [threading.Thread(target=lambda: answers.append(probe.check()))
                  for _ in range(20)]
        for thread in askers:
            thread.start()
        for thread in askers:
            thread.join(HANG_GUARD)

        async def ask_from_the_loop() -> list[str]:
            return list(await asyncio.gather(*(probe.check_async() for _ in range(20))))

        answers += asyncio.run(ask_from_the_loop())
        assert answers == ["unavailable: no answer within 0.2 s"] * 40
        assert engine.connects == 1  # one check in flight, whoever asked

        engine.released.set()
        _until(lambda: probe.check() == "ok", "the store answering again")
    finally:
        engine.released.set()
        probe.close()

"""A real ``fraud serve`` killed with kill -9 mid-stream, started with two workers, or
refused at start.

* Crash: every decision a client received a 200 for is stored and readable after a
  restart, and nothing is half-stored (an order without its decision), on SQLite
  and PostgreSQL, with decisions committed by the group-commit writer.
* ``--workers 2`` serves (it died soon after start: the workers raced to migrate a new
  store, and uvicorn killed workers that were slow to answer its health ping while
  loading their tables).
* A rules file that does not load refuses the start with one line.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import httpx
import pytest
from factories import make_order_data
from helpers.serve_process import ServeProcess
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fraud.cli import app
from fraud.store import apikeys
from fraud.store.db import make_engine, upgrade_database
from fraud.store.tables import decisions, order_keys, orders

pytestmark = pytest.mark.xdist_group("fraud_serve")

CLIENTS = 8  # enough at once that the writer commits several decisions together
ACKED_BEFORE_KILL = 40


def _store_with_key(db_url: str) -> str:
    upgrade_database(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return apikeys.create_api_key(session, "order-service")
    finally:
        engine.dispose()


def _serve_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FRAUD_DATABASE_URL": db_url, "FRAUD_DATA_DIR": str(tmp_path / "var"),
            "FRAUD_MODEL_DIR": str(tmp_path / "no-models")}


def _half_stored(db_url: str) -> list[str]:
    """Orders stored without their decision, or keys without their order."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            decided = select(decisions.c.order_id)
            without_decision = conn.execute(
                select(orders.c.order_id).where(orders.c.order_id.not_in(decided))).scalars()
            stray_keys = conn.execute(select(order_keys.c.order_id).where(
                order_keys.c.order_id.not_in(select(orders.c.order_id)))).scalars()
            return [*without_decision, *stray_keys]
    finally:
        engine.dispose()


def test_kill_9_mid_stream_loses_no_acknowledged_decision(db_url: str, tmp_path: Path) -> None:
    key = _store_with_key(db_url)
    # group commit (the writer thread answers after its commit) on both stores: the
    # guarantee must hold when requests wait for a commit made by another thread
    env = {**_serve_env(db_url, tmp_path), "FRAUD_WRITE_MODE": "group"}
    server = ServeProcess(env, tmp_path / "serve.log").start()
    acked: dict[str, dict] = {}
    sent: dict[str, dict] = {}
    lock = threading.Lock()
    enough = threading.Event()
    refused: list[str] = []
    try:
        server.wait_ready()

        def client() -> None:
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
                while True:
                    body = make_order_data(order_id=f"O-crash-{uuid.uuid4().hex[:12]}")
                    with lock:
                        sent[body["order_id"]] = body
                    try:
                        response = http.post("/v1/score", json=body)
                    except httpx.TransportError:
                        return  # the server is gone
                    if response.status_code != 200:  # seen by the test, not lost in a thread
                        refused.append(response.text)
                        return
                    with lock:
                        acked[body["order_id"]] = response.json()
                        if len(acked) >= ACKED_BEFORE_KILL:
                            enough.set()

        clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in clients:
            thread.start()
        assert enough.wait(180), f"only {len(acked)} decisions before the deadline: {refused}"
        server.kill_hard()  # mid-stream: every client has a request in flight
        for thread in clients:
            thread.join(60)
    finally:
        server.stop()

    assert refused == []
    assert _half_stored(db_url) == []
    restarted = ServeProcess(env, tmp_path / "serve-2.log").start()
    try:
        restarted.wait_ready()
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=restarted.url, headers=headers, timeout=30) as http:
            for order_id, decision in acked.items():
                stored = http.get(f"/v1/orders/{order_id}")
                assert stored.status_code == 200, order_id
                kept = stored.json()["decision"]
                assert (kept["score"], kept["action"]) == (decision["score"], decision["action"])
            # the orders in flight at the kill: the order service's retry gets a decision
            for order_id in sent.keys() - acked.keys():
                retried = http.post("/v1/score", json=sent[order_id])
                assert retried.status_code == 200, retried.text
    finally:
        restarted.stop()
    assert len(sent) > len(acked)  # the kill did land mid-stream
    assert _half_stored(db_url) == []


@pytest.mark.slow
def test_two_workers_start_stay_up_and_score(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'fresh.db'}"  # a new store: the workers' start raced on it
    env = _serve_env(db_url, tmp_path)
    server = ServeProcess(env, tmp_path / "serve.log", args=("--workers", "2")).start()
    try:
        server.wait_ready()
        key = _store_with_key(db_url)
        codes = []
        for _ in range(20):  # a new connection each: the kernel spreads them over the workers
            response = httpx.post(f"{server.url}/v1/score", json=make_order_data(),
                                  headers={"Authorization": f"Bearer {key}", "Connection": "close"},
                                  timeout=30)
            codes.append(response.status_code)
        assert codes == [200] * 20
        assert server.process is not None and server.process.poll() is None
        log = server.log()
        assert log.count("Started server process") == 2
        assert "died" not in log and "failed to start" not in log
    finally:
        server.stop()


def test_a_rules_file_that_does_not_load_refuses_the_start_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: broken\nrules: [", encoding="utf-8")
    monkeypatch.setenv("FRAUD_RULES_PATH", str(rules))
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "rules.yaml" in lines[0] or "line" in lines[0]


def test_a_store_that_cannot_be_opened_refuses_the_start_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRAUD_DATABASE_URL",
                       "postgresql+psycopg://fraud:s3cret@127.0.0.1:1/nowhere")
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the store ")
    assert "s3cret" not in result.output + result.stderr

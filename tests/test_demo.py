"""Demo mode: the sample goes through the real pipeline into an empty store."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import fraud.demo
from fraud.demo import DEMO_KEY, SAMPLE_ORDERS, ensure_demo_key, load_sample, store_is_empty
from fraud.errors import FraudError
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store.tables import outcomes

pytestmark = pytest.mark.skipif(not SAMPLE_ORDERS.exists(), reason="sample data not generated yet")


@pytest.fixture
def runtime(tmp_path):
    rt = Runtime.start(Settings(data_dir=tmp_path, _env_file=None))
    yield rt
    rt.close()


def test_demo_key_is_accepted_in_demo_mode_only_after_demo_set_up(tmp_path):
    runtime = Runtime.start(Settings(data_dir=tmp_path, demo=True, _env_file=None))
    try:
        assert runtime.verify_api_key(DEMO_KEY) is None
        ensure_demo_key(runtime)
        ensure_demo_key(runtime)  # twice is harmless
        assert runtime.verify_api_key(DEMO_KEY) == "demo"
    finally:
        runtime.close()


def test_loading_the_sample_stores_scored_orders_and_known_outcomes(runtime):
    assert store_is_empty(runtime)
    stored = load_sample(runtime, limit=300)
    assert stored == 300
    assert not store_is_empty(runtime)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outcomes)).scalar_one() > 0
    some = runtime.get_order(
        next(iter(runtime.engine.connect().exec_driver_sql("SELECT order_id FROM orders")))[0]
    )
    assert some.decision is not None


def outcome_count(runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outcomes)).scalar_one()


def test_loading_twice_stores_nothing_new(runtime):
    assert load_sample(runtime, limit=200) == 200
    before = outcome_count(runtime)
    assert load_sample(runtime, limit=200) == 0
    assert outcome_count(runtime) == before


def test_the_demo_loader_decides_as_score_order(runtime):
    from datetime import datetime

    from fraud.domain import Outcome
    from fraud.history import MemoryHistory
    from fraud.schema import parse_order
    from fraud.scoring import score_order
    from fraud.signals import Context
    from fraud.simulate import read_orders, read_outcomes

    load_sample(runtime, limit=120, batch_orders=50)
    sample = sorted((parse_order(o) for o in read_orders(SAMPLE_ORDERS)),
                    key=lambda o: (o.created_at, o.order_id))[:120]
    wanted = {o.order_id for o in sample}
    from fraud.demo import SAMPLE_OUTCOMES

    events = [(e["order_id"], Outcome(e["outcome"]), datetime.fromisoformat(e["at"]))
              for e in read_outcomes(SAMPLE_OUTCOMES) if e["order_id"] in wanted]
    history = MemoryHistory.from_orders(sample, events, runtime.settings.fx_rates)
    ctx = Context(settings=runtime.settings, geo=runtime.geo, history=history)
    for order in sample[::7]:
        expected = score_order(order, ctx, runtime.rulebook.current, runtime.model,
                               model_unavailable=runtime.model_unavailable()).decision
        stored = runtime.get_order(order.order_id).decision
        assert (stored.score, stored.action) == (expected.score, expected.action)
        assert [r.code for r in stored.reasons] == [r.code for r in expected.reasons]
        assert stored.versions == expected.versions


def test_the_demo_loader_logs_progress_and_empties_the_wal(runtime, caplog):
    import logging
    from pathlib import Path

    with caplog.at_level(logging.INFO, logger="fraud.demo"):
        assert load_sample(runtime, limit=200, batch_orders=50) == 200
    progress = [r.getMessage() for r in caplog.records if "sample orders scored" in r.getMessage()]
    assert len(progress) == 4  # one line per batch of 50: 25, 50, 75 and 100 %
    assert progress[-1].startswith("demo mode: 200 of 200 sample orders scored and stored (100 %")
    database = Path(runtime.settings.resolved_database_url.removeprefix("sqlite:///"))
    wal = database.with_name(database.name + "-wal")
    assert not wal.exists() or wal.stat().st_size < 1024 * 1024


def test_the_served_app_in_demo_mode_accepts_the_demo_key_and_runtime_alone_does_not(
    tmp_path, monkeypatch
):
    from fastapi.testclient import TestClient

    import fraud.demo
    from api.main import create_app

    # no sample to load: the test is about who starts demo mode, not the 20,000 orders
    monkeypatch.setattr(fraud.demo, "SAMPLE_ORDERS", tmp_path / "absent.jsonl.gz")
    settings = Settings(data_dir=tmp_path, demo=True, _env_file=None)
    plain = Runtime.start(settings)
    try:
        assert plain.verify_api_key(DEMO_KEY) is None  # a runtime alone never enters demo mode
    finally:
        plain.close()
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/orders/O-none", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    assert response.status_code == 404


# --- the demo key lives and dies with demo mode (issue 10 item 7) ---------------------------


def started(url: str, tmp_path, **settings) -> Runtime:
    return Runtime.start(Settings(data_dir=tmp_path, database_url=url, _env_file=None, **settings))


def test_the_demo_key_is_refused_after_a_restart_without_demo_mode(db_url, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app

    in_demo = started(db_url, tmp_path, demo=True, demo_on_any_store=True)
    try:
        ensure_demo_key(in_demo)
        assert in_demo.verify_api_key(DEMO_KEY) == "demo"
    finally:
        in_demo.close()
    settings = Settings(data_dir=tmp_path, database_url=db_url, _env_file=None)
    plain = Runtime.start(settings)
    try:
        assert plain.verify_api_key(DEMO_KEY) is None
        with TestClient(create_app(settings, runtime=plain)) as client:
            response = client.get("/v1/orders/O-none",
                                  headers={"Authorization": f"Bearer {DEMO_KEY}"})
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
    finally:
        plain.close()


def test_demo_mode_is_refused_on_postgresql_or_a_store_with_other_keys_unless_told(
    db_url, tmp_path
):
    from fraud.demo import demo_refusal

    runtime = started(db_url, tmp_path, demo=True)
    try:
        on_postgres = runtime.engine.dialect.name == "postgresql"
        first = demo_refusal(runtime.settings, runtime.engine)
        if on_postgres:
            assert first is not None and "refused on a postgresql store" in first
        else:
            assert first is None  # an empty SQLite file: the demo's home
            ensure_demo_key(runtime)
            assert demo_refusal(runtime.settings, runtime.engine) is None  # its own key is fine
        runtime.create_api_key("order-service")
        refusal = demo_refusal(runtime.settings, runtime.engine)
        assert refusal is not None and "FRAUD_DEMO_ON_ANY_STORE=true" in refusal
        if not on_postgres:
            assert "holds API keys other than the demo key" in refusal
        with pytest.raises(FraudError, match="demo mode refused"):
            fraud.demo.start_in_background(runtime)
        told = runtime.settings.model_copy(update={"demo_on_any_store": True})
        assert demo_refusal(told, runtime.engine) is None
    finally:
        runtime.close()


def test_a_revoked_key_still_marks_a_store_as_real(tmp_path):
    from fraud.demo import demo_refusal

    runtime = started(f"sqlite:///{tmp_path / 'real.db'}", tmp_path, demo=True)
    try:
        runtime.create_api_key("old")
        runtime.revoke_api_key("old")
        assert demo_refusal(runtime.settings, runtime.engine) is not None
    finally:
        runtime.close()


def test_fraud_serve_demo_refuses_a_store_with_other_keys_in_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from fraud.cli import app

    runtime = started(f"sqlite:///{tmp_path / 'fraud.db'}", tmp_path)
    try:
        runtime.create_api_key("order-service")
    finally:
        runtime.close()
    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: served.append(a))
    monkeypatch.setattr("logging.config.dictConfig", lambda config: None)
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path))
    for name in ("FRAUD_DEMO", "FRAUD_DEMO_ON_ANY_STORE"):  # serve sets them: undo after
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["serve", "--demo"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: demo mode refused: the store holds API keys other than")
    assert served == []
    result = CliRunner().invoke(app, ["serve", "--demo", "--demo-on-any-store"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1

"""Demo mode: the sample goes through the real pipeline into an empty store."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fraud.demo import DEMO_KEY, SAMPLE_ORDERS, ensure_demo_key, load_sample, store_is_empty
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store.tables import outcomes

pytestmark = pytest.mark.skipif(not SAMPLE_ORDERS.exists(), reason="sample data not generated yet")


@pytest.fixture
def runtime(tmp_path):
    rt = Runtime.start(Settings(data_dir=tmp_path, _env_file=None))
    yield rt
    rt.close()


def test_demo_key_is_accepted_only_after_demo_set_up(runtime):
    assert runtime.verify_api_key(DEMO_KEY) is None
    ensure_demo_key(runtime)
    ensure_demo_key(runtime)  # twice is harmless
    assert runtime.verify_api_key(DEMO_KEY) == "demo"


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

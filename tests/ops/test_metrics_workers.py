"""``fraud serve --workers 2``: /metrics adds up every worker's values, whichever answers."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from factories import make_order_data
from promtext import value
from serving import running_server

pytestmark = [pytest.mark.xdist_group("fraud_serve"), pytest.mark.slow]

ORDERS = 12


def _pids(folder: Path) -> set[str]:
    """The processes that wrote metrics files (prometheus-client names them kind_pid.db)."""
    return {p.stem.rsplit("_", 1)[-1] for p in folder.glob("*.db")}


def test_metrics_of_several_workers_are_added_up(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left over from an earlier run")
    with running_server(tmp_path, workers=2, metrics_dir=str(metrics_dir)) as server:
        # /readyz answered by one worker; wait until the other has started too
        deadline = time.monotonic() + 180
        while len(_pids(metrics_dir)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        headers = {"Authorization": f"Bearer {server.key}"}
        for i in range(ORDERS):
            # a new connection each time, so both workers get some of the orders
            response = httpx.post(f"{server.url}/v1/score", headers=headers,
                                  json=make_order_data(order_id=f"O-workers-{i}"))
            assert response.status_code == 200
        scrapes = [httpx.get(f"{server.url}/metrics").text for _ in range(6)]
        pids = _pids(metrics_dir)
    assert "999999" not in pids, "files of an earlier run are removed at start"
    assert len(pids) >= 2  # both workers write their values to the shared folder
    for text in scrapes:
        assert value(text, "fraud_http_requests_total", route="/v1/score", status="200") == ORDERS
        assert value(text, "fraud_stage_duration_seconds_count", stage="rules") == ORDERS

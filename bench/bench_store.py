"""The store's share of a scored order, alone: µs per history look-up, decision write
and retry check, on one pooled connection of a fresh SQLite store (a temporary folder).

    .venv/bin/python bench/bench_store.py [--orders 400]

The look-up is timed on an empty store (its fixed cost), the write with 60 features
per order, the retry check on orders already stored (it reads the decision and
compares the stored order). Run by hand; figures go into docs/performance.md.
Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the order factory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=400)
    args = parser.parse_args()

    from factories import make_order

    from fraud.domain import Action, Decision, Versions
    from fraud.keys import order_keys
    from fraud.store import repository
    from fraud.store.db import make_engine, upgrade_database
    from fraud.store.history import SqlHistory
    from fraud.store.statements import raw_connection

    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    probe = make_order()
    keys = order_keys(probe)
    features = {f"f{j}": float(j) for j in range(60)}
    times: dict[str, list[int]] = {"history look-up": [], "decision write": [], "retry check": []}
    with raw_connection(engine) as conn:
        for _ in range(args.orders):
            t = time.perf_counter_ns()
            SqlHistory(conn).lookup(keys, probe.created_at, probe.created_at - timedelta(days=30))
            times["history look-up"].append(time.perf_counter_ns() - t)
        for i in range(args.orders):
            order = make_order(order_id=f"O-{i}")
            decision = Decision(
                order_id=order.order_id,
                score=1,
                action=Action.APPROVE,
                reasons=(),
                rule_hits=(),
                signals_unavailable=(),
                versions=Versions("r", "m", "s"),
            )
            t = time.perf_counter_ns()
            repository.save_decision(conn, order, decision, features, fx_rates={"EUR": 1})
            times["decision write"].append(time.perf_counter_ns() - t)
            t = time.perf_counter_ns()
            repository.find_retry(conn, order)
            times["retry check"].append(time.perf_counter_ns() - t)
    engine.dispose()
    for stage, values in times.items():
        print(f"{stage:18s} p50 {statistics.median(values) / 1000:7.1f} µs")


if __name__ == "__main__":
    main()

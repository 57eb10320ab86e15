"""The history look-up alone: the in-memory feature store against the SQL view.

On a bulk-loaded store (``bench/million_store.py``): rebuilds the feature store from it
(wall and CPU seconds, memory held, traced by ``tracemalloc``), then for the newer
simulated orders times, per order, in CPU µs of this process (a loaded machine inflates
wall time several-fold, CPU time far less): a pooled connection alone, the feature
store's catch-up with the store's feed, its look-up alone, the whole feature-store view
(catch-up + look-up) and ``SqlHistory``'s look-up. Each look-up is checked to give the
same snapshot both ways.

    .venv/bin/python bench/bench_featurestore.py [--store var/bench/store-200k.sqlite]
        [--store-orders 200000] [--orders 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.million_store import ensure_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=ROOT / "var/bench/store-200k.sqlite")
    parser.add_argument("--store-orders", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()
    print(f"{time.strftime('%H:%M:%S')} load average {os.getloadavg()}", flush=True)
    url, next_orders = ensure_store(args.store, args.store_orders)

    from fraud.featurestore import FollowedHistory
    from fraud.history import WINDOW
    from fraud.keys import order_keys
    from fraud.schema import parse_order
    from fraud.store.db import make_engine
    from fraud.store.history import SqlHistory
    from fraud.store.statements import raw_connection

    engine = make_engine(url)
    tracemalloc.start()
    followed = FollowedHistory()
    wall, cpu = time.perf_counter(), time.process_time()
    n = followed.rebuild(engine, progress=lambda k: print(f"  read {k:,} orders", end="\r"))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print()
    print(f"rebuilt from {n:,} orders in {wall:.1f} s ({cpu:.1f} s CPU): "
          f"{followed.memory.stats()}, {held / 2**20:,.0f} MiB held "
          f"({held / max(len(followed.memory), 1):,.0f} bytes per order kept)")

    orders = [parse_order(line) for line in
              next_orders.read_text().splitlines()[: args.orders]]
    plan = [(o, order_keys(o), o.created_at, o.created_at - WINDOW) for o in orders]

    def per_order(kind: str) -> float:
        start = time.process_time()
        for _, keys, before, since in plan:
            with raw_connection(engine) as conn:
                if kind == "catch-up":
                    followed.catch_up(conn)
                elif kind == "memory look-up alone":
                    followed.memory.lookup_exact(keys, before, since)
                elif kind == "feature store (catch-up + look-up)":
                    followed.view(conn).lookup(keys, before, since)
                elif kind == "SqlHistory look-up":
                    SqlHistory(conn).lookup(keys, before, since)
        return (time.process_time() - start) / len(plan) * 1e6

    with raw_connection(engine) as conn:
        for _, keys, before, since in plan:
            assert followed.view(conn).lookup(keys, before, since) == SqlHistory(conn).lookup(
                keys, before, since)
    kinds = ("connection alone", "catch-up", "memory look-up alone",
             "feature store (catch-up + look-up)", "SqlHistory look-up")
    results: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(3):  # alternating, so the machine's load hits every kind alike
        for kind in kinds:
            results[kind].append(per_order(kind))
    print(f"\nCPU µs per order over {len(plan)} orders (best of 3 alternating runs; "
          "each includes checking a pooled connection out and back):")
    for kind in kinds:
        print(f"  {kind:36s} {min(results[kind]):8.1f}")
    print(f"{time.strftime('%H:%M:%S')} load average {os.getloadavg()}")


if __name__ == "__main__":
    main()

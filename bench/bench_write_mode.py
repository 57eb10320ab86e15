"""The durable write alone: one commit per request against group commit, SQLite and PostgreSQL.

Stores sample orders (under fresh ids, with one fixed decision, so only the write is
timed) from T threads at once, T = 1, 8 and 32, each way:

* ``direct``: each call checks out a connection and commits its own transaction
  (``FRAUD_WRITE_MODE=direct``);
* ``group``: each call hands its rows to the one writer thread and waits for its
  commit (``FRAUD_WRITE_MODE=group``, :mod:`fraud.store.group_commit`).

Prints decisions stored per second, per-call p50 / p99 and (group) decisions per
commit. Every figure is a stored, committed decision with its evidence record.

    .venv/bin/python bench/bench_write_mode.py [--orders 2000] [--postgres URL]

PostgreSQL gets a schema of its own, dropped at the end (default server: the test
one, ``postgresql://postgres@127.0.0.1:5432/test``; ``--postgres ''`` skips it). Run by
hand; figures go into docs/performance.md. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

THREADS = (1, 8, 32)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(
    threads: int, orders: list[Any], save: Callable[[Any], object]
) -> tuple[float, list[float]]:
    """Save every order from ``threads`` threads; wall seconds and per-call ms."""
    chunks = [orders[i::threads] for i in range(threads)]
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def work(chunk: list[Any]) -> None:
        mine = []
        barrier.wait()
        for order in chunk:
            t = time.perf_counter()
            save(order)
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return time.perf_counter() - start, latencies


def bench_store(label: str, make_url: Callable[[], str], sample: list[dict], n: int) -> None:
    from fraud.domain import Action, Decision, Versions
    from fraud.schema import parse_order
    from fraud.store.db import make_engine, upgrade_database
    from fraud.store.group_commit import GroupCommitWriter
    from fraud.store.repository import save_decision
    from fraud.store.statements import raw_connection

    for threads in THREADS:
        for mode in ("direct", "group"):
            url = make_url()
            upgrade_database(url)
            engine = make_engine(url, pool_size=threads + 2, max_overflow=0)
            prefix = uuid.uuid4().hex[:8]
            orders = [
                parse_order(json.dumps({**sample[i % len(sample)], "order_id": f"W-{prefix}-{i}"}))
                for i in range(n)
            ]

            def decision(order: Any) -> Any:
                return Decision(order_id=order.order_id, score=10, action=Action.APPROVE,
                                reasons=(), rule_hits=(), signals_unavailable=(),
                                versions=Versions("r1", "none", "0"))

            writer = GroupCommitWriter(engine) if mode == "group" else None

            def save(order: Any, writer: Any = writer, engine: Any = engine) -> object:
                if writer is not None:
                    return writer.save(order, decision(order), {})
                with raw_connection(engine) as conn:
                    return save_decision(conn, order, decision(order), {})

            seconds, ms = run(threads, orders, save)
            per_commit = ""
            if writer is not None:
                writer.close()
                per_commit = f"  {writer.written / max(writer.batches, 1):5.1f} decisions/commit"
            engine.dispose()
            print(f"{label:10s} {mode:6s} {threads:3d} threads  {n / seconds:7.0f} stored/s  "
                  f"p50 {statistics.median(ms):6.2f} ms  p99 {percentile(ms, 0.99):6.2f} ms"
                  f"{per_commit}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    from sqlalchemy import text

    from fraud.demo import SAMPLE_ORDERS
    from fraud.simulate import read_orders
    from fraud.store.db import make_engine

    sample = list(read_orders(SAMPLE_ORDERS))[:500]
    folder = Path(tempfile.mkdtemp())
    bench_store("sqlite", lambda: f"sqlite:///{folder / uuid.uuid4().hex}.db", sample, args.orders)
    if not args.postgres:
        return
    admin = make_engine(args.postgres, isolation_level="AUTOCOMMIT")
    schemas: list[str] = []

    def pg_url() -> str:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        sep = "&" if "?" in args.postgres else "?"
        return f"{args.postgres}{sep}options={quote(f'-csearch_path={schema}')}"

    try:
        bench_store("postgresql", pg_url, sample, args.orders)
    finally:
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()

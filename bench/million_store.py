"""A SQLite store holding many simulated orders, built once by bulk insert and reused.

``ensure_store(path, n)`` simulates ``n + extra`` orders (``fraud.simulate``, 90 days),
stores the first ``n`` with their linking keys, a placeholder decision each and their
outcomes, and writes the last ``extra`` (the newest, never stored) as JSON lines beside
the store: the orders a benchmark scores. Scoring a million orders one by one would
take hours, so the stored ones are not scored: their decision rows say
``rules_version = "bulk-load"``, and they have no evidence records (the evidence chain
starts with the first order scored). Everything history reads (orders, keys,
outcomes) is exactly what ``save_decision`` writes; ``tests/test_bench_store.py`` pins it.

    .venv/bin/python bench/million_store.py [--store var/bench/million.sqlite] [--orders N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_STORE = ROOT / "var" / "bench" / "million.sqlite"
EXTRA = 5000
BATCH = 20_000


def bench_orders_path(store: Path) -> Path:
    return store.with_name(store.name + ".next-orders.jsonl")


def ensure_store(store: Path, n: int = 1_000_000, extra: int = EXTRA) -> tuple[str, Path]:
    """The store's URL and the file of newer orders; built first when missing."""
    store = Path(store)
    url = f"sqlite:///{store}"
    if store.exists() and bench_orders_path(store).exists():
        print(f"reusing {store} (delete it to build afresh)", flush=True)
        return url, bench_orders_path(store)
    build(store, n, extra)
    return url, bench_orders_path(store)


def build(store: Path, n: int, extra: int) -> None:
    from fraud.simulate import simulate

    store.parent.mkdir(parents=True, exist_ok=True)
    for stale in (store, bench_orders_path(store)):
        stale.unlink(missing_ok=True)
    t0 = time.perf_counter()
    print(f"simulating {n + extra:,} orders ...", flush=True)
    sim = simulate(n + extra, days=90, seed=14)
    print(f"  simulated in {time.perf_counter() - t0:.0f} s", flush=True)
    orders = sim.orders()
    stored: set[str] = set()
    bulk_insert(store, (next(orders) for _ in range(n)), n, stored)
    with bench_orders_path(store).open("w") as out:
        for order in orders:
            out.write(json.dumps(order) + "\n")
    events = sim.outcomes
    rows = [
        (o, e, a) for o, e, a in zip(events["order_id"], events["outcome"], events["at"],
                                     strict=True)
        if o in stored
    ]
    insert_outcomes(store, rows)
    print(f"wrote {store} ({store.stat().st_size / 2**20:,.0f} MiB: {n:,} orders, "
          f"{len(rows):,} outcomes) and {bench_orders_path(store)} ({extra:,} newer orders) "
          f"in {time.perf_counter() - t0:.0f} s", flush=True)


def _engine(store: Path) -> Any:
    from sqlalchemy import create_engine, event

    from fraud.store.db import upgrade_database

    url = f"sqlite:///{store}"
    upgrade_database(url)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _fast(dbapi: Any, _: Any) -> None:  # a scratch file: a crash means building again
        dbapi.execute("PRAGMA journal_mode=WAL")
        dbapi.execute("PRAGMA synchronous=OFF")
        dbapi.execute("PRAGMA cache_size=-262144")

    return engine


def _rows(order: Any, fx: Any) -> tuple[dict, list[dict], dict]:
    from fraud.history import key_pairs, past_order

    past = past_order(order, fx)
    keys = past.keys
    order_row = {
        "order_id": order.order_id, "created_at": past.created_at, "received_at": past.created_at,
        "account_id": keys.account, "order_json": order.model_dump_json(),
        "amount_eur": past.amount_eur, "currency": str(order.payment.currency),
        "billing_country": past.billing_country, "shipping_country": past.shipping_country,
        "card_country": past.card_country, "ip_key": keys.ip, "email_key": keys.email,
        "phone_key": keys.phone, "device_key": keys.device, "address_key": keys.address,
        "card_key": keys.card,
    }
    key_rows = [
        {"order_id": order.order_id, "kind": k, "value": v, "created_at": past.created_at}
        for k, v in key_pairs(keys)
    ]
    decision_row = {
        "order_id": order.order_id, "score": 0, "action": "approve", "reasons": [],
        "rule_hits": [], "signals_unavailable": [], "features": {},
        "rules_version": "bulk-load", "model_version": "none", "service_version": "bulk-load",
        "model_probability": None, "decided_at": past.created_at,
    }
    return order_row, key_rows, decision_row


def bulk_insert(store: Path, orders: Iterable[dict], n: int, stored: set[str]) -> None:
    from sqlalchemy import bindparam

    from fraud.money import default_fx_rates
    from fraud.schema import Order
    from fraud.store.codecs import JsonText
    from fraud.store.statements import insert_row
    from fraud.store.tables import decisions, order_keys
    from fraud.store.tables import orders as orders_table

    engine = _engine(store)
    fx = default_fx_rates()
    insert_order = insert_row(orders_table).values(
        order_json=bindparam("order_json", type_=JsonText())
    )
    t0 = time.perf_counter()
    done = 0
    for chunk in _chunks(orders, BATCH):
        order_rows, key_rows, decision_rows = [], [], []
        for data in chunk:
            o, k, d = _rows(Order.model_validate(data), fx)
            order_rows.append(o)
            key_rows += k
            decision_rows.append(d)
            stored.add(o["order_id"])
        with engine.begin() as conn:
            conn.execute(insert_order, order_rows)
            conn.execute(insert_row(order_keys), key_rows)
            conn.execute(insert_row(decisions), decision_rows)
        done += len(chunk)
        rate = done / (time.perf_counter() - t0)
        print(f"  stored {done:,}/{n:,} orders ({rate:,.0f}/s, "
              f"about {(n - done) / rate:,.0f} s left)", flush=True)
    engine.dispose()


def insert_outcomes(store: Path, rows: list[tuple[str, str, str]]) -> None:
    from fraud.store.statements import insert_row
    from fraud.store.tables import outcomes

    engine = _engine(store)
    with engine.begin() as conn:
        for start in range(0, len(rows), BATCH):
            part = rows[start:start + BATCH]
            at = [datetime.fromisoformat(a).astimezone(UTC) for _, _, a in part]
            conn.execute(insert_row(outcomes), [
                {"order_id": o, "outcome": e, "at": t, "reported_at": t}
                for (o, e, _), t in zip(part, at, strict=True)
            ])
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def _chunks(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    ensure_store(args.store, args.orders)


if __name__ == "__main__":
    main()

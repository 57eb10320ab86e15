"""How long does a history look-up take on a store with many orders?

    .venv/bin/python bench/bench_history.py [--orders 100000] [--url sqlite:///var/bench.db]

Fills a store (once; reused on later runs) with synthetic orders spread over a
year — 20k accounts, 30k IPs, a few hot IPs and devices — and 3% bad outcomes,
then times ``SqlHistory.lookup`` and the whole history signal for new orders
and prints microseconds per order. Run by hand; numbers go in docs, not tests.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from factories import make_order_data  # noqa: E402

from fraud.domain import Outcome  # noqa: E402
from fraud.history import WINDOW, history_features, key_pairs, past_order  # noqa: E402
from fraud.keys import order_keys  # noqa: E402
from fraud.schema import Order  # noqa: E402
from fraud.settings import Settings  # noqa: E402
from fraud.signals import Context  # noqa: E402
from fraud.signals.history import compute  # noqa: E402
from fraud.store.db import make_engine, upgrade_database  # noqa: E402
from fraud.store.history import SqlHistory  # noqa: E402
from fraud.store.tables import order_keys as order_keys_table  # noqa: E402
from fraud.store.tables import orders, outcomes  # noqa: E402

END = datetime(2026, 11, 25, tzinfo=UTC)
rng = random.Random(42)  # noqa: S311 - synthetic data


def synthetic_order(i: int, created: datetime) -> Order:
    """An order whose keys repeat the way real traffic does: mostly loyal, some hot spots."""
    account = rng.randrange(20_000)
    guest = rng.random() < 0.15
    hot = rng.random() < 0.01
    customer: dict = {"email": f"c{account}@example.nl", "phone": f"+3161{account:07d}"}
    customer |= (
        {"account_id": None, "account_created_at": None}
        if guest
        else {"account_id": f"C-{account}", "account_created_at": "2023-01-01T00:00:00+00:00"}
    )
    ip = f"10.{rng.randrange(3)}.{rng.randrange(100)}.{rng.randrange(100)}"
    data = make_order_data(
        order_id=f"B-{i:07d}",
        created_at=created.isoformat(),
        customer=customer,
        ip_address="192.0.2.1" if hot else ip,
        device_id="dev-hot" if hot else f"dev-{account % 25_000}",
        payment={
            "amount": f"{rng.randint(10, 900)}.00",
            "card_last4": f"{account % 10_000:04d}",
        },
        shipping_address={"postal_code": f"{1000 + account % 8999} AB", "house_number": "1"},
    )
    return Order.model_validate_json(__import__("json").dumps(data))


def fill(url: str, n: int, fx: dict) -> None:
    """Bulk-load n orders (one transaction per 5k) with their keys and some outcomes."""
    engine = make_engine(url)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(orders)).scalar_one()
    if have >= n:
        print(f"store already holds {have} orders")
        return
    print(f"loading {n} orders...", flush=True)
    start = END - timedelta(days=365)
    for lo in range(0, n, 5000):
        rows, keys, events = [], [], []
        for i in range(lo, min(n, lo + 5000)):
            created = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
            order = synthetic_order(i, created)
            p = past_order(order, fx)
            rows.append(
                {
                    "order_id": p.order_id,
                    "created_at": p.created_at,
                    "received_at": p.created_at,
                    "account_id": p.keys.account,
                    "order_json": order.model_dump(mode="json"),
                    "amount_eur": p.amount_eur,
                    "currency": "EUR",
                    "billing_country": p.billing_country,
                    "shipping_country": p.shipping_country,
                    "card_country": p.card_country,
                    "ip_key": p.keys.ip,
                    "email_key": p.keys.email,
                    "phone_key": p.keys.phone,
                    "device_key": p.keys.device,
                    "address_key": p.keys.address,
                    "card_key": p.keys.card,
                }
            )
            keys += [
                {"order_id": p.order_id, "kind": k, "value": v, "created_at": p.created_at}
                for k, v in key_pairs(p.keys)
            ]
            if rng.random() < 0.03:
                events.append(
                    {
                        "order_id": p.order_id,
                        "outcome": rng.choice([o.value for o in Outcome]),
                        "at": p.created_at + timedelta(days=rng.uniform(1, 60)),
                        "reported_at": p.created_at + timedelta(days=61),
                    }
                )
        with engine.begin() as conn:
            conn.execute(insert(orders), rows)
            conn.execute(insert(order_keys_table), keys)
            if events:
                conn.execute(insert(outcomes), events)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--url", default="sqlite:///var/bench_history.db")
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    if args.url.startswith("sqlite:///"):
        Path(args.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    settings = Settings()
    upgrade_database(args.url)
    fill(args.url, args.orders, settings.fx_rates)
    engine = make_engine(args.url)
    view = SqlHistory(engine)
    ctx = Context(settings=settings, history=view)
    probes = [
        synthetic_order(10_000_000 + i, END - timedelta(seconds=rng.uniform(0, 30 * 86400)))
        for i in range(args.samples)
    ]
    probe_keys = [order_keys(o) for o in probes]
    for o, k in zip(probes[:200], probe_keys[:200], strict=True):  # warm caches
        view.lookup(k, o.created_at, o.created_at - WINDOW)

    def timed(fn) -> list[float]:  # noqa: ANN001
        out = []
        for o, k in zip(probes, probe_keys, strict=True):
            t = time.perf_counter()
            fn(o, k)
            out.append((time.perf_counter() - t) * 1e6)
        return out

    sizes = []

    def lookup(o: Order, k) -> None:  # noqa: ANN001
        snap = view.lookup(k, o.created_at, o.created_at - WINDOW)
        sizes.append(len(snap.linked) + len(snap.account))

    lookups = timed(lookup)
    snaps = {
        o.order_id: view.lookup(k, o.created_at, o.created_at - WINDOW)
        for o, k in zip(probes, probe_keys, strict=True)
    }
    pure = timed(lambda o, k: history_features(o, k, 100.0, snaps[o.order_id]))
    signal = timed(lambda o, k: compute(o, ctx))

    def show(name: str, us: list[float]) -> None:
        us = sorted(us)
        print(
            f"{name:<34} mean {statistics.fmean(us):7.0f} µs  median {us[len(us) // 2]:7.0f} µs"
            f"  p99 {us[int(len(us) * 0.99)]:7.0f} µs"
        )

    print(f"{args.orders} stored orders, {args.samples} probes, url {args.url}")
    print(f"orders returned per look-up: mean {statistics.fmean(sizes):.1f}, max {max(sizes)}")
    show("SqlHistory.lookup (2 queries)", lookups)
    show("history_features (pure)", pure)
    show("history signal (keys+lookup+feat)", signal)
    engine.dispose()


if __name__ == "__main__":
    main()

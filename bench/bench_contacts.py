"""What does the contacts signal cost on the scoring path?

    .venv/bin/python bench/bench_contacts.py [--url sqlite:///var/bench_review.db] [--orders 100000]

Uses the review queue bench's store (100,000 synthetic orders, filled once by
bench/bench_review_queue.py's loader), then times the contacts look-up of the scoring path
(:class:`fraud.store.contact_history.SqlContacts` on one DBAPI connection, plus the pure
:func:`~fraud.signals.contacts.contact_features`) for random stored orders: first with no
contacts in the store, then with 2,000 contacts on held orders (one in ten denied). Prints
p50/p90 in microseconds. Run by hand; the figures go in docs, not tests.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_review_queue import fill  # noqa: E402

from fraud.keys import OrderKeys  # noqa: E402
from fraud.settings import Settings  # noqa: E402
from fraud.signals.contacts import KEY_COLUMNS, contact_features, customer_key  # noqa: E402
from fraud.store.contact_history import SqlContacts  # noqa: E402
from fraud.store.db import make_engine, upgrade_database  # noqa: E402
from fraud.store.review_tables import contact_keys, verification_contacts  # noqa: E402
from fraud.store.statements import raw_connection  # noqa: E402
from fraud.store.tables import decisions, orders  # noqa: E402

rng = random.Random(7)  # noqa: S311 - synthetic data
COLUMNS = ("order_id", "created_at", "account_id", "ip_key", "email_key", "phone_key",
           "device_key", "address_key", "card_key")


def sample(engine, n: int) -> list:  # noqa: ANN001
    with engine.connect() as conn:
        rows = conn.execute(select(*(orders.c[c] for c in COLUMNS))).all()
    return rng.sample(rows, n)


def keys_of(r) -> OrderKeys:  # noqa: ANN001
    return OrderKeys(account=r.account_id, ip=r.ip_key, email=r.email_key, phone=r.phone_key,
                     device=r.device_key, address=r.address_key, card=r.card_key)


def time_lookups(engine, picked: list) -> tuple[float, float]:  # noqa: ANN001
    samples = []
    with raw_connection(engine) as conn:
        view = SqlContacts(conn)
        for r in picked:
            keys = keys_of(r)
            began = time.perf_counter()
            contact_features(keys, r.order_id, r.created_at, view.lookup(keys, r.created_at))
            samples.append((time.perf_counter() - began) * 1e6)
    return statistics.median(samples), statistics.quantiles(samples, n=10)[8]


def add_contacts(engine, n: int) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.execute(delete(contact_keys))
        conn.execute(delete(verification_contacts))
        held = conn.execute(
            select(*(orders.c[c] for c in COLUMNS))
            .join(decisions, decisions.c.order_id == orders.c.order_id)
            .where(decisions.c.action == "review")
        ).all()
        rows = []
        for r in rng.sample(held, min(n, len(held))):
            at = r.created_at + timedelta(hours=2)
            rows.append({
                "order_id": r.order_id, "customer_key": customer_key(r.account_id, r.email_key),
                "channel": "email", "result": "denied" if rng.random() < 0.1 else "confirmed",
                "reason": "bench", "contacted_at": at, "actor": "bench", "recorded_at": at,
            })
        conn.execute(insert(verification_contacts), rows)
        denied = conn.execute(
            select(verification_contacts.c.id, verification_contacts.c.recorded_at,
                   *(orders.c[c] for c in COLUMNS))
            .join(orders, orders.c.order_id == verification_contacts.c.order_id)
            .where(verification_contacts.c.result == "denied")
        ).all()
        conn.execute(insert(contact_keys), [  # as fraud.review.contacts.append writes them
            {"contact_id": d.id, "order_id": d.order_id, "kind": kind, "value": value,
             "recorded_at": d.recorded_at}
            for d in denied
            for kind, value in zip(KEY_COLUMNS, (getattr(d, c) for c in KEY_COLUMNS.values()),
                                   strict=True)
            if value
        ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:///var/bench_review.db")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=1000)
    args = parser.parse_args()
    upgrade_database(args.url)
    fill(args.url, args.orders, Settings(_env_file=None).fx_rates)
    engine = make_engine(args.url)
    picked = sample(engine, args.lookups)
    with engine.begin() as conn:
        conn.execute(delete(contact_keys))
        conn.execute(delete(verification_contacts))
    print(f"{args.lookups} look-ups of random stored orders, as of their own time")
    print("                                        p50 µs   p90 µs")
    p50, p90 = time_lookups(engine, picked)
    print(f"  no contacts in the store            {p50:8.1f} {p90:8.1f}")
    add_contacts(engine, 2000)
    p50, p90 = time_lookups(engine, picked)
    print(f"  2,000 contacts (about 200 denied)   {p50:8.1f} {p90:8.1f}")
    with engine.begin() as conn:  # the queue bench's store as it was
        conn.execute(delete(contact_keys))
        conn.execute(delete(verification_contacts))
    engine.dispose()


if __name__ == "__main__":
    main()

"""Does a busy key cost more than a quiet one? (issue 10 item 12)

    .venv/bin/python bench/bench_busy_key.py [--orders 200] [--url postgresql+psycopg://...]

A pick-up point, one IP address and one device shared by 1,000 and then 5,000 earlier
orders of different customers (a third of them guests), placed over the 20 days before,
5 % of them later refunded or charged back. Times ``Runtime.score`` (retry check,
history look-up, signals, rules, model, store) for new orders on that busy key, and
for the same number of new orders on keys nobody used before ("quiet"), on the same
store. Also times the history look-up alone. Prints p50/p90 in milliseconds and the
ratio busy / quiet. Default store: a fresh SQLite file. Run by hand; figures go into
docs/reliability.md, nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from factories import make_order  # noqa: E402

from fraud.domain import Action, Decision, Outcome, Versions  # noqa: E402
from fraud.history import WINDOW  # noqa: E402
from fraud.keys import order_keys  # noqa: E402
from fraud.runtime import Runtime  # noqa: E402
from fraud.schema import Order  # noqa: E402
from fraud.settings import Settings  # noqa: E402
from fraud.store import repository  # noqa: E402

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PICK_UP_POINT = {"street": "Stationsplein", "house_number": "1", "postal_code": "3511 CE",
                 "city": "Utrecht", "country": "NL", "recipient": None}
BUSY = {"ip_address": "77.163.1.1", "device_id": "dev-pickup-kiosk",
        "shipping_address": PICK_UP_POINT}
rng = random.Random(7)  # noqa: S311 - synthetic data


def customer(i: int) -> dict:
    if i % 3 == 0:
        return {"account_id": None, "account_created_at": None, "email": f"guest{i}@example.nl"}
    return {"account_id": f"C-{i}", "email": f"buyer{i}@example.nl", "phone": None}


def busy_order(tag: str, i: int, created: datetime) -> Order:
    return make_order(order_id=f"{tag}-{i:06d}", created_at=created.isoformat(),
                      customer=customer(i), payment={"card_last4": f"{i % 10_000:04d}"}, **BUSY)


def quiet_order(i: int, created: datetime) -> Order:
    return make_order(
        order_id=f"QUIET-{i:06d}", created_at=created.isoformat(),
        customer={"account_id": f"Q-{i}", "email": f"quiet{i}@example.nl", "phone": None},
        ip_address=f"77.{164 + i // 62_500}.{i // 250 % 250}.{i % 250 + 1}",
        device_id=f"dev-quiet-{i}",
        payment={"card_last4": f"{i % 10_000:04d}"},
        shipping_address={"street": "Biltstraat", "house_number": str(i + 1),
                          "postal_code": "3572 AA", "city": "Utrecht", "country": "NL"},
        billing_address={"street": "Biltstraat", "house_number": str(i + 1),
                         "postal_code": "3572 AA", "city": "Utrecht", "country": "NL"},
    )


def seed(runtime: Runtime, first: int, last: int) -> None:
    """Earlier orders ``first..last-1`` on the busy key, with some bad outcomes."""
    versions = Versions("bench", "none", "bench")
    with runtime.sessions() as session:
        for i in range(first, last):
            created = NOW - timedelta(seconds=rng.uniform(60, 20 * 86400))
            order = busy_order("SEED", i, created)
            decision = Decision(order.order_id, 0, Action.APPROVE, (), (), (), versions)
            repository.save_decision(session, order, decision, {},
                                     fx_rates=runtime.settings.fx_rates)
            if rng.random() < 0.05:
                outcome = rng.choice([Outcome.REFUNDED, Outcome.CHARGEBACK])
                repository.record_outcome(session, order.order_id, outcome,
                                          min(created + timedelta(days=2), NOW))


def timed(runs: list[Callable[[], object]]) -> list[float]:
    out = []
    for run in runs:
        start = time.perf_counter()
        run()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p50_p90(ms: list[float]) -> tuple[float, float]:
    return statistics.median(ms), statistics.quantiles(ms, n=10)[8]


def measure(runtime: Runtime, orders: list[Order]) -> tuple[list[float], list[float]]:
    """(history look-up alone, whole scoring) in ms per order."""
    view = runtime.history

    def lookup(order: Order) -> Callable[[], object]:
        keys, t = order_keys(order), order.created_at
        return lambda: view.lookup(keys, t, t - WINDOW)

    looks = timed([lookup(o) for o in orders])
    scores = timed([(lambda o=o: runtime.score(o)) for o in orders])
    return looks, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="new orders timed per case")
    parser.add_argument("--url", default=None, help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-busy-key-"))
    runtime = Runtime.start(Settings(data_dir=data_dir, database_url=args.url, _env_file=None))
    print(f"store: {runtime.engine.dialect.name}; {args.orders} new orders timed per case")
    n = args.orders
    rows = []
    try:
        runtime.score(quiet_order(10**5, NOW - timedelta(hours=1)))  # warm up caches
        seeded = 0
        quiet = [quiet_order(i, NOW + timedelta(seconds=i)) for i in range(n)]
        rows.append(("quiet", *measure(runtime, quiet)))
        for level in (1000, 5000):
            start = time.perf_counter()
            seed(runtime, seeded, level)
            seeded = level
            print(f"seeded {level} earlier orders on the busy key "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
            later = NOW + timedelta(hours=level // 1000)
            busy = [busy_order(f"BUSY{level}", level * 10 + i, later + timedelta(seconds=i))
                    for i in range(n)]
            rows.append((f"busy {level}", *measure(runtime, busy)))
    finally:
        runtime.close()

    base_score = p50_p90(rows[0][2])
    print(f"\n{'key':<10} {'look-up p50':>12} {'p90':>8} {'score p50':>10} {'p90':>8}   "
          "ratio to quiet (score p50 / p90)")
    for name, looks, scores in rows:
        lp50, lp90 = p50_p90(looks)
        sp50, sp90 = p50_p90(scores)
        print(f"{name:<10} {lp50:>10.2f}ms {lp90:>6.2f}ms {sp50:>8.2f}ms {sp90:>6.2f}ms   "
              f"{sp50 / base_score[0]:.2f}x / {sp90 / base_score[1]:.2f}x")


if __name__ == "__main__":
    main()

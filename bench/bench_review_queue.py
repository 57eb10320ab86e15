"""How fast is the review queue with 100,000 orders in the store?

    .venv/bin/python bench/bench_review_queue.py [--orders 100000] [--url sqlite:///var/bench_review.db]

Fills a store (once; reused on later runs) with synthetic orders spread over a year,
about 8 % of them held for review, with their linking keys and decisions, bulk-inserted
(scoring 100,000 orders one by one would take the better part of an hour). Then times
the queue query (:func:`fraud.review.queue.queue_page`) for the pages reviewers ask
for, and the whole queue and order pages through the app (signed in, HTML rendered),
against ``/healthz`` on the same app in the same run. Prints p50/p90 in milliseconds.
Run by hand; the figures go in docs, not tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from factories import make_order_data  # noqa: E402

from fraud.history import key_pairs, past_order  # noqa: E402
from fraud.review.queue import QueueFilter, Sort, queue_page  # noqa: E402
from fraud.schema import Order  # noqa: E402
from fraud.settings import Settings  # noqa: E402
from fraud.store.db import make_engine, upgrade_database  # noqa: E402
from fraud.store.tables import decisions, order_keys, orders  # noqa: E402

END = datetime(2026, 11, 25, tzinfo=UTC)
REVIEW_SHARE = 0.08
REASONS = ["ip_far_from_billing", "new_account_high_amount", "many_cards_24h",
           "shipping_to_forwarder", "disposable_email", "country_mismatch"]
COUNTRIES = ["NL", "NL", "NL", "BE", "DE", "FR", "AT"]
rng = random.Random(11)  # noqa: S311 - synthetic data


def synthetic(i: int, created: datetime) -> Order:
    account = rng.randrange(20_000)
    country = rng.choice(COUNTRIES)
    data = make_order_data(
        order_id=f"Q-{i:07d}",
        created_at=created.isoformat(),
        customer={"account_id": f"C-{account}", "account_created_at": "2023-01-01T00:00:00+00:00",
                  "name": f"Klant {account} de Vries", "email": f"k{account}@example.nl",
                  "phone": f"+3161{account:07d}"},
        ip_address=f"10.{rng.randrange(3)}.{rng.randrange(200)}.{rng.randrange(200)}",
        device_id=f"dev-{account}",
        payment={"amount": f"{rng.randint(10, 1500)}.00", "card_last4": f"{account % 10_000:04d}"},
        shipping_address={"country": country, "postal_code": f"{1000 + account % 8999}",
                          "house_number": str(1 + account % 200)},
    )
    return Order.model_validate_json(json.dumps(data))


def decision_row(order_id: str, decided_at: datetime) -> dict:
    held = rng.random() < REVIEW_SHARE
    score = rng.randint(40, 79) if held else rng.randint(0, 39)
    codes = rng.sample(REASONS, 3)
    return {
        "order_id": order_id, "score": score, "action": "review" if held else "approve",
        "reasons": [{"code": c, "message": f"words for {c}", "value": 1, "points": 10.0,
                     "source": "rule"} for c in codes],
        "rule_hits": [], "signals_unavailable": [], "features": {"account_age_days": 400},
        "rules_version": "bench", "model_version": "none", "service_version": "bench",
        "model_probability": None, "decided_at": decided_at,
    }


def fill(url: str, n: int, fx: dict) -> None:
    """Bulk-load n orders with keys and decisions, 5,000 per transaction."""
    engine = make_engine(url)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(orders)).scalar_one()
    if have >= n:
        print(f"store already holds {have} orders")
        return
    print(f"loading {n} orders ...", flush=True)
    start = END - timedelta(days=365)
    for lo in range(0, n, 5000):
        rows, keys, decided = [], [], []
        for i in range(lo, min(n, lo + 5000)):
            created = start + timedelta(seconds=365 * 86400 * i / n)
            order = synthetic(i, created)
            p = past_order(order, fx)
            rows.append({
                "order_id": p.order_id, "created_at": p.created_at, "received_at": p.created_at,
                "account_id": p.keys.account, "order_json": order.model_dump(mode="json"),
                "amount_eur": p.amount_eur, "currency": "EUR",
                "billing_country": p.billing_country, "shipping_country": p.shipping_country,
                "card_country": p.card_country, "ip_key": p.keys.ip, "email_key": p.keys.email,
                "phone_key": p.keys.phone, "device_key": p.keys.device,
                "address_key": p.keys.address, "card_key": p.keys.card,
            })
            keys += [{"order_id": p.order_id, "kind": k, "value": v, "created_at": p.created_at}
                     for k, v in key_pairs(p.keys)]
            decided.append(decision_row(p.order_id, p.created_at + timedelta(seconds=1)))
        with engine.begin() as conn:
            conn.execute(insert(orders), rows)
            conn.execute(insert(order_keys), keys)
            conn.execute(insert(decisions), decided)
    engine.dispose()


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(p50, p90) in milliseconds of ``fn`` over ``runs`` calls, after two warm-up calls."""
    fn()
    fn()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    deciles = statistics.quantiles(samples, n=10)
    return statistics.median(samples), deciles[8]


def deep_cursor(session: Session, pages: int) -> str | None:
    after = None
    for _ in range(pages):
        after = queue_page(session, QueueFilter(after=after)).next_after
    return after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--url", default="sqlite:///var/bench_review.db")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    if args.url.startswith("sqlite:///"):
        Path(args.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade_database(args.url)
    settings = Settings(database_url=args.url, _env_file=None)
    fill(args.url, args.orders, settings.fx_rates)
    engine = make_engine(args.url)
    with engine.connect() as conn:
        held = conn.execute(
            select(func.count()).select_from(decisions).where(decisions.c.action == "review")
        ).scalar_one()
        total = conn.execute(select(func.count()).select_from(orders)).scalar_one()
    print(f"store: {total} orders, {held} held for review ({engine.dialect.name})")

    with Session(engine) as session:
        deep = deep_cursor(session, 20)
        queries = {
            "newest, page 1": QueueFilter(),
            "riskiest, page 1": QueueFilter(sort=Sort.RISKIEST),
            "newest, page 21 (keyset)": QueueFilter(after=deep),
            "country BE": QueueFilter(country="BE"),
            "amount >= 1000, score >= 60": QueueFilter(min_amount=1000, min_score=60),
            "reason many_cards_24h": QueueFilter(reason="many_cards_24h"),
            "search e-mail": QueueFilter(search="k1234@example.nl"),
            "search name part": QueueFilter(search="klant 1234 "),
        }
        print(f"\nqueue query (50 rows), {args.runs} runs each:   p50 ms   p90 ms")
        for name, wanted in queries.items():
            p50, p90 = timed(lambda w=wanted: queue_page(session, w), args.runs)
            print(f"  {name:<32} {p50:8.2f} {p90:8.2f}")
    engine.dispose()
    pages(settings, args.runs)


def pages(settings: Settings, runs: int) -> None:
    """The pages through the app, signed in, against /healthz on the same app."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from fraud.errors import Conflict
    from fraud.review.roles import Role
    from fraud.review.users import add_user
    from fraud.runtime import Runtime

    runtime = Runtime.start(settings)
    password = "bench password 1"  # noqa: S105 - a throwaway user of a bench store
    with runtime.sessions() as s:
        with contextlib.suppress(Conflict):  # made by an earlier run
            add_user(s, "bench", Role.REVIEWER, password)
        first = queue_page(s, QueueFilter()).rows[0].order_id
    with TestClient(create_app(settings, runtime=runtime)) as client:
        page = client.get("/review/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/review/login", data={"username": "bench", "password": password,
                                           "csrf_token": token})
        targets = {
            "/healthz (reference)": "/healthz",
            "queue page": "/review",
            "queue page, riskiest": "/review?sort=riskiest",
            "queue page, search name": "/review?q=klant+1234+",
            "order page": f"/review/orders/{first}",
        }
        print(f"\npages through the app, {runs} rounds:         p50 ms   p90 ms   x healthz")
        for path in targets.values():
            assert client.get(path).status_code == 200, path
        # round-robin, so a burst of load on the machine hits every page alike
        samples: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(runs):
            for name, path in targets.items():
                began = time.perf_counter()
                client.get(path)
                samples[name].append((time.perf_counter() - began) * 1000)
        base = statistics.median(samples["/healthz (reference)"])
        for name, values in samples.items():
            p50, p90 = statistics.median(values), statistics.quantiles(values, n=10)[8]
            print(f"  {name:<32} {p50:8.2f} {p90:8.2f} {p50 / base:9.1f}")
    runtime.close()


if __name__ == "__main__":
    main()

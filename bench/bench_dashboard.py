"""How fast is the operations dashboard with 100,000 orders in its window?

    .venv/bin/python bench/bench_dashboard.py [--orders 100000] [--url sqlite:///var/bench_dashboard.db]

Fills a store (once; reused on later runs while its newest order is less than a day old)
with synthetic orders spread over the last 56 days (the default rule-performance window,
so every order is in it, and 30 days' worth in the daily panels), about 8 % held for
review, every held order with two rule hits, 2 % with a chargeback, bulk-inserted like
bench/bench_review_queue.py. Then times, cold (no cached figures):
the figures (:func:`fraud.monitoring.dashboard.build_dashboard`), each chart drawn, and
the page with its seven charts through the app (signed in as an analyst). Prints p50 /
p90 in milliseconds. Run by hand; the figures go in docs, not tests.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_review_queue import synthetic  # noqa: E402

from fraud.history import key_pairs, past_order  # noqa: E402
from fraud.settings import Settings  # noqa: E402
from fraud.store.db import make_engine, upgrade_database  # noqa: E402
from fraud.store.tables import decisions, order_keys, orders, outcomes  # noqa: E402

DAYS = 56
RULES = ["new_account_big_basket", "ip_far_from_billing", "many_cards_24h",
         "shipping_to_forwarder", "disposable_email"]
rng = random.Random(5)  # noqa: S311 - synthetic data


def fill(url: str, n: int, fx: dict) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(orders)).scalar_one()
        newest = conn.execute(select(func.max(orders.c.created_at))).scalar_one()
    if have >= n:
        print(f"store already holds {have} orders (newest {newest})")
        return
    print(f"loading {n} orders ...", flush=True)
    end = datetime.now(UTC)
    start = end - timedelta(days=DAYS)
    for lo in range(0, n, 5000):
        rows, keys, decided, results = [], [], [], []
        for i in range(lo, min(n, lo + 5000)):
            created = start + timedelta(seconds=DAYS * 86400 * i / n)
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
            held = rng.random() < 0.08
            hits = rng.sample(RULES, 2) if held else []
            decided.append({
                "order_id": p.order_id, "score": rng.randint(40, 79) if held else
                rng.randint(0, 39), "action": "review" if held else "approve", "reasons": [],
                "rule_hits": [{"rule_id": r, "status": "hit", "points": 20.0} for r in hits],
                "signals_unavailable": [], "features": {"account_age_days": 400},
                "rules_version": "bench", "model_version": "none", "service_version": "bench",
                "model_probability": rng.random() * 0.3, "decided_at": p.created_at,
            })
            if rng.random() < 0.02:
                at = p.created_at + timedelta(days=rng.randint(1, 30))
                if at < end:
                    results.append({"order_id": p.order_id, "outcome": "chargeback", "at": at,
                                    "reported_at": at})
        with engine.begin() as conn:
            conn.execute(insert(orders), rows)
            conn.execute(insert(order_keys), keys)
            conn.execute(insert(decisions), decided)
            if results:
                conn.execute(insert(outcomes), results)
        print(f"  {min(n, lo + 5000):,}", flush=True)
    engine.dispose()


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    deciles = statistics.quantiles(samples, n=10) if len(samples) > 1 else samples * 9
    return statistics.median(samples), deciles[8]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--url", default="sqlite:///var/bench_dashboard.db")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.url.startswith("sqlite:///"):
        Path(args.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade_database(args.url)
    settings = Settings(database_url=args.url, _env_file=None)
    fill(args.url, args.orders, settings.fx_rates)

    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.review.dashboard import forget_cached
    from fraud.monitoring.charts import CHARTS
    from fraud.monitoring.dashboard import build_dashboard, drift_panel
    from fraud.review.roles import Role
    from fraud.review.users import add_user, list_users
    from fraud.runtime import Runtime

    runtime = Runtime.start(settings)
    panel = drift_panel(None, None, None, settings.drift_threshold)
    with runtime.sessions() as session:
        n = session.execute(select(func.count()).select_from(orders)).scalar_one()
        if "bench-analyst" not in {u.username for u in list_users(session)}:
            add_user(session, "bench-analyst", Role.ANALYST, "bench password 1")

    def figures() -> object:
        with runtime.sessions() as session:
            return build_dashboard(session, now=datetime.now(UTC), drift=panel)

    board = figures()
    print(f"{n:,} orders in the store; {board.total.orders:,} in the 30-day panels, "
          f"{sum(w.hits for w in board.rule_weeks):,} rule hits in {len(board.weeks)} weeks")
    p50, p90 = timed(figures, args.runs)
    print(f"figures (build_dashboard, all queries)   p50 {p50:8.1f} ms  p90 {p90:8.1f} ms")
    for name, draw in CHARTS.items():
        p50, p90 = timed(lambda d=draw: d(board), args.runs)  # type: ignore[misc]
        print(f"chart {name:<16}                  p50 {p50:8.1f} ms  p90 {p90:8.1f} ms")

    with TestClient(create_app(settings, runtime=runtime)) as client:
        page = client.get("/review/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        client.post("/review/login", data={"username": "bench-analyst",
                                           "password": "bench password 1",
                                           "csrf_token": token, "next": "/review"})

        def whole_page() -> None:
            forget_cached()
            html = client.get("/review/dashboard").text
            for src in re.findall(r'src="(/review/dashboard/charts/[^"]+)"', html):
                assert client.get(src.replace("&amp;", "&")).status_code == 200

        p50, p90 = timed(whole_page, args.runs)
        print(f"page + 7 charts, cold, through the app   p50 {p50:8.1f} ms  p90 {p90:8.1f} ms")
        p50, p90 = timed(lambda: client.get("/review/dashboard"), args.runs)
        print(f"page alone, figures cached               p50 {p50:8.1f} ms  p90 {p90:8.1f} ms")
    runtime.close()
    print(f"(load: {os.getloadavg()[0]:.1f} 1-min average on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()

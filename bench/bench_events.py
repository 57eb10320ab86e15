"""How long does the service take to score and store one account event?

    .venv/bin/python bench/bench_events.py [--events 50000] [--new 500] [--url sqlite:///...]

Fills a store with synthetic events over 30 days (5,000 accounts logging in from home,
and one IP that failed 5,000 logins on 5,000 accounts: the read a stuffed IP costs is
bounded by EVENT_LIMIT), then sends new logins through ``EventService.record`` (retry
check, IP placement, features from SqlEvents and SqlHistory, rules, the insert) and
prints the median and 95th percentile per event. Run by hand; figures go in docs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from fraud.events.rules import EventRuleBook
from fraud.events.schema import parse_event
from fraud.events.service import EventService
from fraud.geo import GeoLocator
from fraud.settings import Settings
from fraud.store.db import make_engine, upgrade_database
from fraud.store.event_tables import account_events

END = datetime(2026, 11, 25, tzinfo=UTC)
STUFFED_IP = "203.0.113.9"
rng = random.Random(42)  # noqa: S311 - synthetic data


def _row(i: int, account: str, at: datetime, ip: str, kind: str, device: str | None) -> dict:
    event = {"event_id": f"B-{i:07d}", "type": kind, "account_id": account,
             "occurred_at": at.isoformat(), "ip_address": ip, "device_id": device}
    return {"event_id": event["event_id"], "event_type": kind, "account_id": account,
            "occurred_at": at, "received_at": at, "event_json": event, "ip_key": ip,
            "device_key": device, "ip_country": "NL", "ip_latitude": 52.09,
            "ip_longitude": 5.12, "features": {}}


def fill(engine, n: int) -> None:  # noqa: ANN001 - an Engine
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(account_events)).scalar_one()
    if have >= n:
        print(f"store already holds {have:,} events")
        return
    rows = []
    for i in range(n):
        at = END - timedelta(seconds=rng.randrange(30 * 86_400))
        if i % 10 == 0:  # the stuffed IP, failing on ever new accounts in the last hour
            rows.append(_row(i, f"C-victim-{i}", END - timedelta(seconds=rng.randrange(3600)),
                             STUFFED_IP, "login_failed", None))
        else:
            account = rng.randrange(5_000)
            rows.append(_row(i, f"C-{account}", at, f"10.0.{account % 250}.{account % 200}",
                             "login_succeeded", f"dev-{account}"))
    with engine.begin() as conn:
        for lo in range(0, n, 5_000):
            conn.execute(insert(account_events), rows[lo:lo + 5_000])
    print(f"loaded {n:,} events", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--new", type=int, default=500)
    parser.add_argument("--url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-events-"))
    url = args.url or f"sqlite:///{folder / 'events.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    fill(engine, args.events)
    settings = Settings(data_dir=folder, _env_file=None)
    service = EventService(settings, engine, GeoLocator.from_settings(settings), EventRuleBook())
    took: list[float] = []
    stuffed: list[float] = []
    for i in range(args.new):
        account = rng.randrange(5_000)
        on_stuffed = i % 10 == 0
        event = parse_event({
            "event_id": f"N-{time.time_ns()}-{i}", "type": "login_succeeded",
            "account_id": f"C-{account}", "occurred_at": (END + timedelta(seconds=i)).isoformat(),
            "ip_address": STUFFED_IP if on_stuffed else "145.53.12.7",
            "device_id": f"dev-{account}",
        })
        began = time.perf_counter()
        service.record(event)
        (stuffed if on_stuffed else took).append(time.perf_counter() - began)
    for name, times in (("a login from home", took), ("a login from the stuffed IP", stuffed)):
        ms = sorted(t * 1000 for t in times)
        print(f"{name}: median {statistics.median(ms):.2f} ms, "
              f"p95 {ms[int(len(ms) * 0.95) - 1]:.2f} ms over {len(ms)} events "
              f"(score and store, {url.split(':')[0]})")
    engine.dispose()


if __name__ == "__main__":
    main()

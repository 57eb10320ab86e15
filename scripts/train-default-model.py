"""Train the bundled model on a family of simulated shops and promote it in models/.

    .venv/bin/python scripts/train-default-model.py [--shops 6] [--orders 5000] [--promote]
        [--no-events]

Each shop is a random configuration (``fraud.simulate.family.random_shop``) with its
own seed and traffic volume (``--orders`` x 0.6 to 1.4). The shops are placed one
after another in time, 400 days apart, so no shop's history (30-day windows,
365-day linked outcomes) reaches into another's, and then pooled into one
training set for :func:`fraud.model.train.train`: the service's own feature
pipeline, labels as known at the last event, validation on the latest matured
weeks. The held-out figures come from ``bench/bench_generalisation.py``.

Each shop's account events (logins and account changes, :mod:`fraud.simulate.account_events`)
are history too, so the model learns the account event features; ``--no-events`` trains
without them (those features then stay empty, as for a shop that posts no events).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_generalisation import to_raw  # noqa: E402

from fraud.events.schema import parse_event  # noqa: E402
from fraud.model.train import TrainConfig, train  # noqa: E402
from fraud.settings import get_settings  # noqa: E402
from fraud.simulate import simulate  # noqa: E402
from fraud.simulate.family import ShopRun, pooled, pooled_events, random_shop  # noqa: E402

FIRST_START = datetime(2021, 1, 4, tzinfo=UTC)
SPACING = timedelta(days=400)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shops", type=int, default=6)
    p.add_argument("--orders", type=int, default=5000, help="orders per shop, on average")
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--shop-seed", type=int, default=300, help="first shop's configuration seed")
    p.add_argument("--seed", type=int, default=30, help="first shop's simulation seed")
    p.add_argument("--out", type=Path, default=ROOT / "models")
    p.add_argument("--promote", action="store_true")
    p.add_argument("--no-events", dest="events", action="store_false",
                   help="train without the shops' account events")
    args = p.parse_args()

    rng = np.random.default_rng(args.seed)
    runs = []
    for i in range(args.shops):
        shop = random_shop(args.shop_seed + i)
        n = int(args.orders * rng.uniform(0.6, 1.4))
        start = FIRST_START + i * SPACING
        sim = simulate(n, days=args.days, seed=args.seed + i, start=start.date(), shop=shop)
        runs.append(ShopRun(f"S{i + 1}", shop, sim))
        print(f"shop S{i + 1}: {n} orders from {start.date()}: {shop.summary()}", flush=True)
    orders, outcomes, _ = pooled(runs)
    raw = to_raw(orders, outcomes, "simfamily")
    if args.events:
        events = tuple(parse_event(e) for e in pooled_events(runs))
        raw = replace(raw, account_events=events)
        print(f"{len(events)} account events", flush=True)
    settings = get_settings()
    result = train(raw, settings, TrainConfig(), out_dir=args.out, promote_version=args.promote)
    print(f"trained {result.version} on {len(raw.orders)} orders -> {result.path}")
    print(result.card["metrics"]["validation"])


if __name__ == "__main__":
    main()

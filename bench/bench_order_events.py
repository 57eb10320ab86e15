"""What do account events cost and change when orders are scored?

    .venv/bin/python bench/bench_order_events.py [--orders 8000] [--seed 3] [--timed 1000]

1. Detection: simulated traffic with its account events (``fraud simulate``'s), replayed
   through the default rules with and without the events; prints the share of orders held
   (review or decline) per fraud pattern and for honest customers per quirk.
2. Cost: the same events stored in a fresh SQLite store; times the one read online
   scoring adds per order (``order_events``: the account's events before the order) and
   ``Runtime.score`` for orders of the same traffic, and prints medians and the 95th
   percentile. Run by hand; figures go in docs. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from fraud.events.schema import parse_event
from fraud.replay import replay_orders
from fraud.rules import load_rules
from fraud.schema import parse_order
from fraud.scoring import decide_on, thresholds_from
from fraud.settings import Settings
from fraud.simulate import simulate


def held_shares(sim, events, settings: Settings) -> pd.DataFrame:  # noqa: ANN001
    orders = [parse_order(o) for o in sim.orders()]
    rules = load_rules(settings.rules_path)
    truth = sim.truth().set_index("order_id")
    out = {}
    for name, given in (("without events", None), ("with events", events)):
        replay = replay_orders(orders, sim.outcomes, settings=settings, account_events=given)
        held = {oid: decide_on(a, rules, thresholds_from(settings)).action.name != "APPROVE"
                for oid, a in replay.orders["assessment"].items()}
        out[name] = pd.Series(held)
    frame = truth.assign(**out)
    honest = frame[frame["pattern"] == "none"]
    rows = [frame.groupby("pattern")[list(out)].mean(),
            honest.groupby("honest_quirk")[list(out)].mean().rename(index=lambda q: f"honest: {q}")]
    table = pd.concat(rows)
    table["orders"] = pd.concat([frame.groupby("pattern").size(),
                                 honest.groupby("honest_quirk").size().rename(
                                     index=lambda q: f"honest: {q}")])
    return table


def timings(sim, events, settings: Settings, n: int) -> None:  # noqa: ANN001
    from fraud.events.service import EventService
    from fraud.runtime import Runtime
    from fraud.store.event_store import order_events

    runtime = Runtime.start(settings)
    try:
        service = EventService.from_runtime(runtime)
        began = time.perf_counter()
        for event in events:
            service.record(event)
        print(f"stored {len(events):,} events in {time.perf_counter() - began:.1f} s")
        orders = [parse_order(o) for o in sim.orders()][:n]
        reads, scores = [], []
        for order in orders:
            t0 = time.perf_counter()
            order_events(runtime.engine, order)
            t1 = time.perf_counter()
            runtime.score(order)
            t2 = time.perf_counter()
            reads.append((t1 - t0) * 1000)
            scores.append((t2 - t1) * 1000)
    finally:
        runtime.close()
    for name, values in (("order_events read", reads), ("Runtime.score (incl. the read)",
                                                         scores)):
        values.sort()
        print(f"{name:32s} median {statistics.median(values):.3f} ms, "
              f"p95 {values[int(len(values) * 0.95)]:.3f} ms over {len(values)} orders")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=8000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--timed", type=int, default=1000)
    args = parser.parse_args()
    sim = simulate(args.orders, days=args.days, seed=args.seed)
    events = [parse_event(e) for e in sim.account_events()]
    print(f"{len(sim):,} simulated orders, {len(events):,} account events (seed {args.seed})")
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-order-events-")),
                        _env_file=None)
    table = held_shares(sim, events, settings)
    with pd.option_context("display.float_format", "{:.1%}".format, "display.width", 120):
        print("share of orders held (review or decline), default rules, no model:")
        print(table.to_string())
    timings(sim, events, settings, args.timed)


if __name__ == "__main__":
    main()

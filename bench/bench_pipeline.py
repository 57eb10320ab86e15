"""Where does the time of one scored order go? µs per stage, in-process.

Seeds a fresh SQLite store (a temporary folder) with the first ``--seed-orders``
sample orders through the normal runtime, then takes the next ``--orders`` sample
orders under fresh order ids and, for each, times every stage of
``Runtime.score`` separately on one pooled connection: validation of the JSON
body, the retry check, each signal family (the history family includes the
SQL look-up, also shown on its own), linking keys, rules, model, decision, store
write. Then it times ``Runtime.score`` end to end on other fresh orders. Prints
p50 / p90 / mean per stage.

    .venv/bin/python bench/bench_pipeline.py [--seed-orders 3000] [--orders 1000]

Run by hand; figures go into docs/performance.md. Nothing here is asserted. The
stage sum is a little above the end-to-end figure: each stage pays its own timer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

clock = time.perf_counter_ns


def summary(values: list[int]) -> tuple[float, float, float]:
    """p50, p90 and mean, in µs."""
    us = sorted(v / 1000 for v in values)
    return statistics.median(us), us[int(0.9 * (len(us) - 1))], statistics.fmean(us)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed-orders", type=int, default=3000)
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()

    from fraud.decision import decide
    from fraud.demo import SAMPLE_ORDERS, load_sample
    from fraud.domain import Versions
    from fraud.history import WINDOW
    from fraud.keys import order_keys
    from fraud.rules import evaluate
    from fraud.runtime import Runtime
    from fraud.schema import parse_order
    from fraud.scoring import thresholds_from
    from fraud.settings import Settings
    from fraud.signals import Context, registered_signals
    from fraud.simulate import read_orders
    from fraud.store import repository
    from fraud.store.history import SqlHistory
    from fraud.store.statements import raw_connection

    runtime = Runtime.start(Settings(data_dir=Path(tempfile.mkdtemp()), _env_file=None))
    start = time.perf_counter()
    seeded = load_sample(runtime, limit=args.seed_orders)
    print(f"seeded {seeded} sample orders in {time.perf_counter() - start:.1f} s")

    raw = sorted(read_orders(SAMPLE_ORDERS), key=lambda o: (o["created_at"], o["order_id"]))
    later = raw[args.seed_orders : args.seed_orders + 2 * args.orders]
    bodies = [json.dumps({**o, "order_id": f"STAGE-{i}"}) for i, o in enumerate(later)]
    staged, whole = bodies[: args.orders], bodies[args.orders :]
    model = runtime.model
    rules = runtime.rulebook.current
    signals = registered_signals()
    times: dict[str, list[int]] = defaultdict(list)

    def timed(stage: str, fn, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        t = clock()
        result = fn(*a, **kw)
        times[stage].append(clock() - t)
        return result

    for body in staged:
        t_all = clock()
        order = timed("validation (parse JSON body)", parse_order, body)
        with raw_connection(runtime.engine) as conn:
            timed("retry check (find_retry)", repository.find_retry, conn, order)
            history = SqlHistory(conn)
            ctx = Context(settings=runtime.settings, geo=runtime.geo, history=history)
            keys = order_keys(order)
            timed(
                "  history look-up alone (2 SQL queries)",
                history.lookup,
                keys,
                order.created_at,
                order.created_at - WINDOW,
            )
            values: dict = {}
            for signal in signals:
                values.update(timed(f"signal {signal.name}", signal.compute, order, ctx))
            keys = timed("linking keys (order_keys)", order_keys, order)
            results = timed("rules", evaluate, rules, values, keys)
            probability, reasons = (None, [])
            if model is not None:
                probability, reasons = timed("model (predict_one)", model.predict_one, values)
            versions = Versions(rules.version, model.version if model else "none", "bench")
            decision = timed(
                "decision (decide)",
                decide,
                order.order_id,
                results,
                thresholds_from(ctx.settings),
                versions,
                model_probability=probability,
                model_reasons=tuple(reasons),
                signals_unavailable=[],
                max_reasons=ctx.settings.max_reasons,
            )
            timed(
                "store write (save_decision)",
                repository.save_decision,
                conn,
                order,
                decision,
                values,
            )
        times["sum of stages, one order"].append(
            clock() - t_all - times["  history look-up alone (2 SQL queries)"][-1]
        )

    for body in whole:
        t = clock()
        order = parse_order(body)
        t_score = clock()
        runtime.score(order)
        end = clock()
        times["Runtime.score end to end"].append(end - t_score)
        times["validation + Runtime.score"].append(end - t)

    print(
        f"\n{args.orders} new orders per figure, store seeded with {seeded} orders (SQLite, WAL); "
        f"model: {model.version if model else 'none'}; rules: {rules.version}\n"
    )
    print(f"{'stage':44s} {'p50 µs':>9s} {'p90 µs':>9s} {'mean µs':>9s}")
    for stage, values in times.items():
        p50, p90, mean = summary(values)
        print(f"{stage:44s} {p50:9.1f} {p90:9.1f} {mean:9.1f}")
    runtime.close()


if __name__ == "__main__":
    main()

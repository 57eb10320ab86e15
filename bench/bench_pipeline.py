"""Where does the time of one scored order go? In-process, over a store of 1,000,000 orders.

Builds (once; reused after) a SQLite store of ``--store-orders`` simulated orders with a
bulk loader (``bench/million_store.py``: orders, keys, outcomes; placeholder decisions),
copies it for this run, starts the service's ``Runtime`` on the copy (the history
feature store rebuilds from it: time and resident size are printed), then scores the
newer simulated orders under fresh ids:

* ``--orders`` of them stage by stage, each stage timed on its own: validation of the
  JSON body (bytes), the retry check, the history look-up (the feature store; the SQL
  view's look-up on the same order is shown beside it, not counted), every signal,
  linking keys, rules, model with reasons, decision, and the durable write with its
  evidence record (``save_decision``: one commit);
* as many others end to end: validation + ``Runtime.score``.

Prints p50, p99, p99.9 and mean per stage (wall clock; and the p50 and p99 of the
thread's CPU time, which a loaded machine inflates far less), each stage's share of the
sum of p50s, the end-to-end orders/s of one thread, and the "before" p50s from
docs/performance.md (3,000-order store, store-backed history) beside them.

    .venv/bin/python bench/bench_pipeline.py [--store var/bench/million.sqlite]
        [--store-orders 1000000] [--orders 2000] [--history memory|store]

Run by hand; figures go into docs/performance.md. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.million_store import DEFAULT_STORE, ensure_store  # noqa: E402

clock = time.perf_counter_ns
cpu_clock = time.thread_time_ns  # this thread's CPU time: what waiting for a core does not add

# p50 µs per stage in docs/performance.md before this work ("Latest figures")
BEFORE = {
    "validation (JSON body)": 148.5,
    "retry check": 32.3,
    "history look-up": 257.0,
    "signal basket": 39.6,
    "signal geo": 146.1,
    "signal address": 112.0,
    "signal phone": 7.2,
    "signal email": 57.0,
    "signal device": 7.0,
    "linking keys": 1.0,
    "rules": 148.8,
    "model with reasons": 181.6,
    "decision": 26.6,
    "durable write + evidence": 674.1,
    "validation + Runtime.score": 2314.2,
}
SUMMED_OUT = ("  (SQL view look-up, same order)", "signal history (incl. look-up)")


def percentiles(values: list[int]) -> tuple[float, float, float, float]:
    """p50, p99, p99.9 and mean, in µs."""
    us = sorted(v / 1000 for v in values)

    def at(q: float) -> float:
        return us[min(len(us) - 1, round(q * (len(us) - 1)))]

    return statistics.median(us), at(0.99), at(0.999), statistics.fmean(us)


class Answered:
    """A history view handing the signal the snapshot already looked up (timed apart)."""

    def __init__(self, snapshot: Any) -> None:
        self.snapshot = snapshot

    def lookup(self, *_: Any, **__: Any) -> Any:
        return self.snapshot


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--store-orders", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--history", choices=("memory", "store"), default="memory")
    args = parser.parse_args()
    print(f"{time.strftime('%H:%M:%S')} load average {os.getloadavg()}", flush=True)

    url, next_orders = ensure_store(args.store, args.store_orders)
    bodies = [line.encode() for line in next_orders.read_text().splitlines()]
    need = 2 * args.orders
    if len(bodies) < need:
        raise SystemExit(f"{next_orders} holds {len(bodies)} orders; --orders at most "
                         f"{len(bodies) // 2}")
    with tempfile.TemporaryDirectory(dir=args.store.parent) as scratch:
        copy = Path(scratch) / "run.sqlite"
        t = time.perf_counter()
        shutil.copyfile(args.store, copy)
        print(f"copied the store for this run in {time.perf_counter() - t:.1f} s", flush=True)
        run(args, f"sqlite:///{copy}", bodies[:need], Path(scratch))


def run(args: Any, url: str, bodies: list[bytes], scratch: Path) -> None:
    from fraud.decision import decide
    from fraud.domain import Versions
    from fraud.history import WINDOW
    from fraud.keys import order_keys
    from fraud.rules import evaluate
    from fraud.runtime import Runtime
    from fraud.schema import parse_order
    from fraud.scoring import thresholds_from
    from fraud.settings import Settings
    from fraud.signals import Context, registered_signals
    from fraud.store import repository
    from fraud.store.history import SqlHistory
    from fraud.store.statements import raw_connection

    rss_before = rss_mib()
    t = time.perf_counter()
    runtime = Runtime.start(Settings(data_dir=scratch, database_url=url,
                                     history_backend=args.history, _env_file=None))
    print(f"Runtime.start in {time.perf_counter() - t:.1f} s", flush=True)
    if runtime.features is not None:
        t = time.perf_counter()
        runtime.features.wait_ready()
        print(f"feature store rebuilt from the store in "
              f"{runtime.features.rebuild_seconds:.1f} s (waited {time.perf_counter() - t:.1f} s"
              f" more): {runtime.features.memory.stats()}", flush=True)
    print(f"peak resident size {rss_mib():,.0f} MiB (before start {rss_before:,.0f} MiB)")

    run_id = time.strftime("%H%M%S")
    fresh = [json.loads(b) for b in bodies]
    bodies = [json.dumps({**o, "order_id": f"B{run_id}-{i}"}).encode()
              for i, o in enumerate(fresh)]
    staged, whole = bodies[: args.orders], bodies[args.orders:]
    model, rules = runtime.model, runtime.rulebook.current
    signals = registered_signals()
    times: dict[str, list[int]] = defaultdict(list)
    cpu: dict[str, list[int]] = defaultdict(list)

    def timed(stage: str, fn, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        start, start_cpu = clock(), cpu_clock()
        result = fn(*a, **kw)
        cpu[stage].append(cpu_clock() - start_cpu)
        times[stage].append(clock() - start)
        return result

    from_memory = 0
    for body in staged:
        order = timed("validation (JSON body)", parse_order, body)
        with raw_connection(runtime.engine) as conn:
            timed("retry check", repository.find_retry, conn, order)
            keys = order_keys(order)
            since = order.created_at - WINDOW
            view = runtime.features.view(conn) if runtime.features else SqlHistory(conn)
            snapshot = timed("history look-up", view.lookup, keys, order.created_at, since)
            from_memory += getattr(view, "answered_from", "") == "memory"
            timed(SUMMED_OUT[0], SqlHistory(conn).lookup, keys, order.created_at, since)

            ctx = Context(settings=runtime.settings, geo=runtime.geo,
                          history=Answered(snapshot))
            values: dict = {}
            for signal in signals:
                name = f"signal {signal.name}"
                values.update(timed(name, signal.compute, order, ctx))
            for table in (times, cpu):
                table[SUMMED_OUT[1]].append(table["signal history"][-1]
                                            + table["history look-up"][-1])
            keys = timed("linking keys", order_keys, order)
            results = timed("rules", evaluate, rules, values, keys)
            probability, reasons = None, []
            if model is not None:
                probability, reasons = timed("model with reasons", model.predict_one, values)
            versions = Versions(rules.version, model.version if model else "none", "bench")
            decision = timed(
                "decision", decide, order.order_id, results, thresholds_from(runtime.settings),
                versions, model_probability=probability, model_reasons=tuple(reasons),
                signals_unavailable=[], max_reasons=runtime.settings.max_reasons,
            )
            timed("durable write + evidence", repository.save_decision, conn, order, decision,
                  values, fx_rates=runtime.settings.fx_rates,
                  sources=runtime.evidence_sources())

    start_all = clock()
    for body in whole:
        start, start_cpu = clock(), cpu_clock()
        runtime.score(parse_order(body))
        cpu["validation + Runtime.score"].append(cpu_clock() - start_cpu)
        times["validation + Runtime.score"].append(clock() - start)
    wall = (clock() - start_all) / 1e9
    runtime.close()

    print(f"\n{len(staged)} orders stage by stage, {len(whole)} end to end; store: "
          f"{args.store_orders:,} bulk-loaded orders + those scored here (SQLite, WAL); "
          f"history: {args.history} ({from_memory} of {len(staged)} look-ups from memory); "
          f"model: {model.version if model else 'none'}; rules: {rules.version}\n")
    head = f"{'stage':36s} {'p50 µs':>8s} {'p99 µs':>8s} {'p99.9 µs':>9s} {'mean µs':>8s}"
    print(f"{head} {'share':>6s} {'before p50':>10s} {'CPU p50':>8s} {'CPU p99':>8s}")
    stage_p50 = {s: percentiles(v)[0] for s, v in times.items()}
    summed = sum(p for s, p in stage_p50.items()
                 if s not in (*SUMMED_OUT, "validation + Runtime.score"))
    for stage, values in times.items():
        p50, p99, p999, mean = percentiles(values)
        share = "" if stage in SUMMED_OUT or stage.startswith("validation +") else \
            f"{100 * p50 / summed:5.1f}%"
        before = BEFORE.get(stage)
        shown = f"{before:10.1f}" if before is not None else f"{'':10s}"
        c50, c99, _, _ = percentiles(cpu[stage])
        print(f"{stage:36s} {p50:8.1f} {p99:8.1f} {p999:9.1f} {mean:8.1f} {share:>6s} {shown} "
              f"{c50:8.1f} {c99:8.1f}")
    cpu_summed = sum(percentiles(v)[0] for s, v in cpu.items()
                     if s not in (*SUMMED_OUT, "validation + Runtime.score"))
    print(f"{'sum of stage p50s':36s} {summed:8.1f} {'':9s} {'':8s} {'':6s} {'':10s} "
          f"{cpu_summed:8.1f}")
    print(f"\nend to end, one thread: {len(whole) / wall:,.0f} orders/s "
          f"({len(whole)} orders in {wall:.1f} s); peak resident size {rss_mib():,.0f} MiB")
    print(f"{time.strftime('%H:%M:%S')} load average {os.getloadavg()}")


if __name__ == "__main__":
    main()

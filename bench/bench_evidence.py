"""What the evidence record costs per scored order: p50 of ``Runtime.score`` (the whole
server-side path: retry check, signals, rules, model, store) with the evidence
record written and with it skipped, on a fresh store in a temporary folder.

    .venv/bin/python bench/bench_evidence.py [--orders 600] [--database-url URL]

The two modes alternate order by order, so a busy machine slows both alike. Also
printed: the evidence append alone (build the record, seal the personal part,
lock the head, insert). Run by hand; figures go into docs/evidence.md. Nothing here
is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the order factory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()

    from factories import make_order

    from fraud.evidence.chain import Appended
    from fraud.runtime import Runtime
    from fraud.settings import Settings
    from fraud.store import repository

    folder = Path(tempfile.mkdtemp())
    runtime = Runtime.start(Settings(data_dir=folder, database_url=args.database_url))
    real = repository.append_evidence
    append_ns: list[int] = []

    def timed(*a: Any, **k: Any) -> Appended:
        t = time.perf_counter_ns()
        done = real(*a, **k)
        append_ns.append(time.perf_counter_ns() - t)
        return done

    def skipped(*a: Any, **k: Any) -> Appended:
        return Appended(0, "", k["at"])

    for i in range(50):  # warm up caches and compiled statements
        runtime.score(make_order(customer={"account_id": f"C-warm-{i}"}))
    times: dict[str, list[int]] = {"with evidence": [], "without evidence": []}
    for i in range(2 * args.orders):
        mode = "with evidence" if i % 2 == 0 else "without evidence"
        repository.append_evidence = timed if i % 2 == 0 else skipped  # type: ignore[assignment]
        order = make_order(customer={"account_id": f"C-{i % 97}"})
        t = time.perf_counter_ns()
        runtime.score(order)
        times[mode].append(time.perf_counter_ns() - t)
    repository.append_evidence = real  # type: ignore[assignment]
    runtime.close()
    with_, without = (statistics.median(times[m]) / 1000 for m in times)
    print(f"store: {runtime.settings.resolved_database_url.split(':')[0]}, "
          f"{args.orders} orders per mode")
    print(f"score p50 without evidence {without:8.1f} µs")
    print(f"score p50 with evidence    {with_:8.1f} µs  ({with_ / without:.2f}x, "
          f"+{with_ - without:.1f} µs)")
    print(f"evidence append alone p50  {statistics.median(append_ns) / 1000:8.1f} µs")


if __name__ == "__main__":
    main()

"""Batch throughput: ``fraud score --no-store`` on one process and on every core, and the
rules backtest, over a file of N orders. Prints orders/s and peak resident memory.

The file is the bundled sample (20,000 orders over about six weeks, with outcomes);
for more, the sample is repeated, each copy moved later by the sample's time span and
given fresh order ids, so the file stays in time order and customers come back.

    .venv/bin/python bench/bench_batch.py [--orders 20000] [--workers 0] [--no-backtest]

Each command runs as its own process, its output thrown away; memory is the largest
sum of resident sizes of the process and its workers, polled every 0.1 s (Linux /proc).
Run by hand; figures go into docs/performance.md. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (0 once gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def run(argv: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak resident bytes of the process tree, exit code."""
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(os.devnull, "w") as null:
        process = subprocess.Popen(argv, stdout=null, stderr=subprocess.PIPE, env=env,  # noqa: S603
                                   cwd=ROOT, text=True)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.1)
        stderr = process.stderr.read() if process.stderr else ""
    if process.returncode:
        print(stderr[-2000:])
    return time.perf_counter() - start, peak, process.returncode


def write_files(n: int, folder: Path) -> tuple[Path, Path]:
    from fraud.demo import SAMPLE_ORDERS, SAMPLE_OUTCOMES
    from fraud.simulate import read_orders

    sample = sorted(read_orders(SAMPLE_ORDERS), key=lambda o: (o["created_at"], o["order_id"]))
    with gzip.open(SAMPLE_OUTCOMES, "rt") as f:
        outcomes = [json.loads(line) for line in f]
    first = datetime.fromisoformat(sample[0]["created_at"])
    span = datetime.fromisoformat(sample[-1]["created_at"]) - first
    orders_path, outcomes_path = folder / "orders.jsonl", folder / "outcomes.jsonl"
    written = 0
    with orders_path.open("w") as out_orders, outcomes_path.open("w") as out_outcomes:
        copy = 0
        while written < n:
            shift = span * copy
            for order in sample:
                if written >= n:
                    break
                moved = datetime.fromisoformat(order["created_at"]) + shift
                oid = order["order_id"] if copy == 0 else f"{order['order_id']}-c{copy}"
                out_orders.write(json.dumps({**order, "order_id": oid,
                                             "created_at": moved.isoformat()}) + "\n")
                written += 1
            for event in outcomes:
                at = datetime.fromisoformat(event["at"]) + shift
                oid = event["order_id"] if copy == 0 else f"{event['order_id']}-c{copy}"
                out_outcomes.write(json.dumps({**event, "order_id": oid,
                                               "at": at.isoformat()}) + "\n")
            copy += 1
    return orders_path, outcomes_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=0, help="0: every core")
    parser.add_argument("--no-backtest", action="store_true")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    orders, outcomes = write_files(args.orders, folder)
    fraud = [sys.executable, "-c", "from fraud.cli import app; app()"]
    env_note = f"FRAUD_DATA_DIR={folder / 'var'}"
    os.environ["FRAUD_DATA_DIR"] = str(folder / "var")
    cores = len(os.sched_getaffinity(0))
    print(f"{args.orders:,} orders in {orders} ({env_note}); {cores} cores", flush=True)
    runs = [
        ("fraud score --no-store, 1 process",
         [*fraud, "score", "--no-store", "--workers", "1", "--outcomes", str(outcomes),
          str(orders)]),
        (f"fraud score --no-store, {args.workers or cores} processes",
         [*fraud, "score", "--no-store", "--workers", str(args.workers), "--outcomes",
          str(outcomes), str(orders)]),
    ]
    if not args.no_backtest:
        rules = ROOT / "fraud" / "rules" / "default.yaml"
        runs.append(("fraud rules backtest (default jobs)",
                     [*fraud, "rules", "backtest", "--rules", str(rules), "--orders",
                      str(orders), "--outcomes", str(outcomes)]))
    for label, argv in runs:
        seconds, peak, code = run(argv)
        status = "" if code == 0 else f"  (exit code {code})"
        print(f"{label:42s} {seconds:7.1f} s  {args.orders / seconds:8.0f} orders/s  "
              f"peak RSS {peak / 2**20:7.0f} MiB{status}", flush=True)


if __name__ == "__main__":
    main()

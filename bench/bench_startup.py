"""Start-up and memory: seconds from ``fraud serve`` to the first 200 on ``/readyz``, and
resident memory per worker process after warm-up.

Starts ``fraud serve --workers N`` on a SQLite store migrated beforehand (a restart),
times until ``/readyz`` answers 200, then scores ``--orders`` sample
orders, waits until every worker's resident size has stopped growing (the background
load of the other countries' postal tables) and prints each worker's RSS.

    .venv/bin/python bench/bench_startup.py [--workers 1] [--orders 200] [--runs 3]

Run by hand; figures go into docs/performance.md. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_batch import PAGE  # noqa: E402
from bench.bench_http import free_port  # noqa: E402

SETTLE_SECONDS = 3.0  # RSS unchanged (within 1 MiB) this long: warmed up
MAX_WAIT = 180.0


def rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except FileNotFoundError:
        return 0


def children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(c) for c in f.read().split()]
    return found


def workers_of(pid: int, n: int) -> list[int]:
    """The serving processes: the process itself for one worker, else its children that
    are Python (uvicorn's supervisor forks them; a resource tracker may be among them)."""
    if n == 1:
        return [pid]
    return [c for c in children(pid) if rss(c) > 50 * 2**20]


def store_with_key(url: str) -> str:
    """A migrated store with an API key: the start measured is a restart's."""
    from sqlalchemy.orm import Session

    from fraud.store import apikeys
    from fraud.store.db import make_engine, upgrade_database

    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return apikeys.create_api_key(session, "bench-startup")
    finally:
        engine.dispose()


def one_run(workers: int, orders: int) -> tuple[float, list[int]]:
    folder = Path(tempfile.mkdtemp(prefix="bench-start-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUD_")}
    env.update({"FRAUD_DATA_DIR": str(folder / "var"), "PYTHONPATH": str(ROOT)})
    key = store_with_key(f"sqlite:///{folder / 'var' / 'fraud.db'}")
    port = free_port()
    log = (folder / "serve.log").open("w")
    start = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", "from fraud.cli import app; app()", "serve", "--port",
         str(port), "--workers", str(workers)], cwd=ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit((folder / "serve.log").read_text()[-3000:])
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - start > MAX_WAIT:
                raise SystemExit("not ready")
            time.sleep(0.05)
        ready = time.monotonic() - start
        from fraud.demo import SAMPLE_ORDERS
        from fraud.simulate import read_orders

        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}",
                                                 "Connection": "close"}, timeout=30) as http:
            for i, order in enumerate(read_orders(SAMPLE_ORDERS)):
                if i >= orders:
                    break
                http.post("/v1/score", content=json.dumps({**order, "order_id": f"S-{i}"}),
                          headers={"Content-Type": "application/json"})
        pids = workers_of(process.pid, workers)
        last, steady_since = [rss(p) for p in pids], time.monotonic()
        while time.monotonic() - steady_since < SETTLE_SECONDS:
            time.sleep(0.5)
            now = [rss(p) for p in pids]
            if any(abs(a - b) > 2**20 for a, b in zip(now, last, strict=True)):
                last, steady_since = now, time.monotonic()
            if time.monotonic() - start > MAX_WAIT:
                break
        return ready, last
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for run in range(1, args.runs + 1):
        ready, sizes = one_run(args.workers, args.orders)
        shown = ", ".join(f"{s / 2**20:.0f} MiB" for s in sizes)
        print(f"run {run}: {args.workers} worker(s): ready in {ready:.1f} s; after "
              f"{args.orders} orders and the background warm-up, RSS per worker: {shown}",
              flush=True)


if __name__ == "__main__":
    main()

"""How long does POST /v1/score take, against a no-op endpoint on the same server?

Starts uvicorn on 127.0.0.1 (a free port) over a fresh SQLite store seeded with the
bundled sample orders, then sends the same number of requests, one at a time over
one keep-alive connection, to /bench/noop, /bench/validate and /v1/score (each
/v1/score with a new order id, so every request scores and stores). Prints client
latency and in-app time (Server-Timing) percentiles, and ratios to the no-op.

    .venv/bin/python bench/bench_score.py [--requests 1000] [--seed-orders 5000]

Run by hand; figures go into docs/performance.md. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_store(data_dir: Path, n: int) -> str:
    from fraud.demo import load_sample
    from fraud.runtime import Runtime
    from fraud.settings import Settings

    runtime = Runtime.start(Settings(data_dir=data_dir, _env_file=None))
    try:
        start = time.perf_counter()
        stored = load_sample(runtime, limit=n)
        print(f"seeded {stored} sample orders in {time.perf_counter() - start:.1f} s")
        key = runtime.create_api_key("bench")  # the demo key works in demo mode only
    finally:
        runtime.close()
    return key


def sample_bodies(n: int) -> list[dict]:
    from fraud.demo import SAMPLE_ORDERS
    from fraud.simulate import read_orders

    bodies = []
    for i, order in enumerate(read_orders(SAMPLE_ORDERS)):
        if i >= n:
            break
        bodies.append(order)
    return bodies


def percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    q = statistics.quantiles(values, n=100)
    return {"p50": statistics.median(values), "p90": q[89], "p99": q[98]}


def run(client: httpx.Client, path: str, bodies: list[dict], fresh_ids: bool) -> dict:
    client_ms, app_ms = [], []
    for i, body in enumerate(bodies):
        if fresh_ids:
            body = {**body, "order_id": f"BENCH-{path.strip('/').replace('/', '-')}-{i}"}
        payload = json.dumps(body)
        start = time.perf_counter()
        response = client.post(path, content=payload, headers={"Content-Type": "application/json"})
        client_ms.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        app_ms.append(float(response.headers["server-timing"].split("dur=")[1]))
    return {"client": percentiles(client_ms), "app": percentiles(app_ms)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seed-orders", type=int, default=5000)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-score-"))
    key = seed_store(data_dir, args.seed_orders)
    port = free_port()
    env = {**os.environ, "FRAUD_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bench_app:create",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        # the server loads the other EU countries' postal tables in the background at start
        time.sleep(20)
        bodies = sample_bodies(args.requests)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
            run(client, "/bench/noop", bodies[:50], False)  # warm up
            run(client, "/v1/score", bodies[:50], True)
            results = {
                "noop": run(client, "/bench/noop", bodies, False),
                "validate": run(client, "/bench/validate", bodies, False),
                "score": run(client, "/v1/score", bodies, True),
            }
    finally:
        server.terminate()
        server.wait()

    print(
        f"\n{args.requests} sequential requests per endpoint, one keep-alive connection, "
        f"store seeded with {args.seed_orders} orders (SQLite, WAL)\n"
    )
    print(
        f"{'endpoint':<10} {'client p50':>11} {'p90':>8} {'p99':>8} {'in-app p50':>11} "
        f"{'p90':>8} {'p99':>8}   ratio to noop (client p50 / in-app p50)"
    )
    noop = results["noop"]
    for name, r in results.items():
        c, a = r["client"], r["app"]
        print(
            f"{name:<10} {c['p50']:>9.3f}ms {c['p90']:>6.3f}ms {c['p99']:>6.3f}ms "
            f"{a['p50']:>9.3f}ms {a['p90']:>6.3f}ms {a['p99']:>6.3f}ms   "
            f"{c['p50'] / noop['client']['p50']:.1f}x / {a['p50'] / noop['app']['p50']:.1f}x"
        )


if __name__ == "__main__":
    main()

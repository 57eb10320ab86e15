"""What do metrics cost per scored order? POST /v1/score with metrics on and off.

Starts two servers (bench_app: the service plus a Server-Timing header), each over its
own SQLite store seeded with the bundled sample orders: one with FRAUD_METRICS_ENABLED=true
(request middleware, stage timings, decision counters), one with false. Requests go
to them in turns, in blocks, so a busy moment of the machine hits both alike. Prints
p50/p90 of client latency and of in-app time for each, and the ratio on/off.

    .venv/bin/python bench/bench_metrics.py [--requests 1000] [--seed-orders 2000]
    .venv/bin/python bench/bench_metrics.py --in-process [--requests 2000]

``--in-process`` scores orders through ``Runtime.score`` in this process, every other
order with the stage observer and decision counters on: the library's share of the cost,
free of HTTP and of the machine's load swings (the two halves interleave order by order).

Run by hand; figures go into docs/operations.md. Nothing here is asserted.
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

from bench.bench_score import free_port, percentiles, sample_bodies, seed_store  # noqa: E402

BLOCK = 50


def start(data_dir: Path, metrics: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "FRAUD_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT),
           "FRAUD_METRICS_ENABLED": "true" if metrics else "false"}
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "uvicorn", "bench.bench_app:create", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    return server, f"http://127.0.0.1:{port}"


def wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{base} did not become ready")


def score(client: httpx.Client, body: dict, order_id: str) -> tuple[float, float]:
    payload = json.dumps({**body, "order_id": order_id})
    began = time.perf_counter()
    response = client.post("/v1/score", content=payload,
                           headers={"Content-Type": "application/json"})
    took = (time.perf_counter() - began) * 1000
    response.raise_for_status()
    return took, float(response.headers["server-timing"].split("dur=")[1])


def in_process(n: int) -> None:
    from api.metrics import PrometheusStages, observe_decision
    from fraud.monitoring.stages import set_stage_observer
    from fraud.runtime import Runtime
    from fraud.schema import parse_order
    from fraud.settings import Settings

    data_dir = Path(tempfile.mkdtemp(prefix="bench-metrics-inproc-"))
    runtime = Runtime.start(Settings(data_dir=data_dir, _env_file=None))
    observer = PrometheusStages()
    took: dict[str, list[float]] = {"on": [], "off": []}
    try:
        bodies = sample_bodies(n + 100)
        for i, body in enumerate(bodies):
            on = i % 2 == 1
            set_stage_observer(observer if on else None)
            order = parse_order(json.dumps({**body, "order_id": f"INPROC-{i}"}))
            began = time.perf_counter()
            stored = runtime.score(order)
            if on:
                observe_decision(stored.decision)
            if i >= 100:  # the first orders warm caches up
                took["on" if on else "off"].append((time.perf_counter() - began) * 1000)
    finally:
        set_stage_observer(None)
        runtime.close()
    print(f"\n{n} orders through Runtime.score (bundled model, SQLite), every other one with "
          "stage timings and decision counters\n")
    p50 = {}
    for name, values in took.items():
        q = percentiles(values)
        p50[name] = q["p50"]
        print(f"metrics {name:<4} p50 {q['p50']:.3f} ms  p90 {q['p90']:.3f} ms")
    print(f"\non - off, p50: {(p50['on'] - p50['off']) * 1000:+.1f} µs "
          f"(ratio {p50['on'] / p50['off']:.3f})")
    micro(observer, stored.decision)


def micro(observer: object, decision: object) -> None:
    """The metrics' own work for one scored order, timed alone (best of 5 runs)."""
    import timeit

    from api.metrics import REQUEST_SECONDS, REQUESTS, observe_decision
    from fraud.monitoring.stages import STAGES, set_stage_observer, timed

    def stages() -> None:
        for stage in STAGES:
            with timed(stage):
                pass

    def request() -> None:
        REQUESTS.labels("POST", "/v1/score", "200").inc()
        REQUEST_SECONDS.labels("POST", "/v1/score").observe(0.001)

    loops = 20_000
    results = {}
    set_stage_observer(None)
    results["6 stage hooks, no observer"] = min(timeit.repeat(stages, number=loops, repeat=5))
    set_stage_observer(observer)  # type: ignore[arg-type]
    results["6 stage hooks, observed"] = min(timeit.repeat(stages, number=loops, repeat=5))
    results["decision counters"] = min(
        timeit.repeat(lambda: observe_decision(decision), number=loops, repeat=5))  # type: ignore[arg-type]
    results["request counter + histogram"] = min(timeit.repeat(request, number=loops, repeat=5))
    set_stage_observer(None)
    print("\nthe metrics' own work per order (best of 5 x 20,000):")
    for name, seconds in results.items():
        print(f"  {name:<30} {seconds / loops * 1e6:6.2f} µs")
    added = sum(v for k, v in results.items() if k != "6 stage hooks, no observer")
    print(f"  {'total with metrics on':<30} {added / loops * 1e6:6.2f} µs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seed-orders", type=int, default=2000)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    if args.in_process:
        in_process(args.requests)
        return

    dirs = {name: Path(tempfile.mkdtemp(prefix=f"bench-metrics-{name}-")) for name in ("on", "off")}
    key = ""
    for data_dir in dirs.values():
        key = seed_store(data_dir, args.seed_orders)
    servers = {name: start(data_dir, name == "on") for name, data_dir in dirs.items()}
    timings: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in servers}
    try:
        for _, base in servers.values():
            wait_ready(base)
        time.sleep(20)  # the servers load the other EU countries' postal tables at start
        bodies = sample_bodies(args.requests)
        clients = {n: httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                                   timeout=60)
                   for n, (_, base) in servers.items()}
        for name, client in clients.items():  # warm up
            for i, body in enumerate(bodies[:BLOCK]):
                score(client, body, f"WARM-{name}-{i}")
        for block, first in enumerate(range(0, len(bodies), BLOCK)):
            turns = list(clients.items())
            for name, client in turns if block % 2 == 0 else reversed(turns):  # who goes first
                for i, body in enumerate(bodies[first:first + BLOCK], start=first):
                    took, in_app = score(client, body, f"BENCH-{name}-{i}")
                    timings[name][0].append(took)
                    timings[name][1].append(in_app)
        for client in clients.values():
            client.close()
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait()

    print(f"\n{args.requests} POST /v1/score per server, one keep-alive connection each, in "
          f"blocks of {BLOCK} taking turns; store seeded with {args.seed_orders} orders\n")
    print(f"{'metrics':<8} {'client p50':>11} {'p90':>9} {'in-app p50':>11} {'p90':>9}")
    results = {}
    for name, (client_ms, app_ms) in timings.items():
        c, a = percentiles(client_ms), percentiles(app_ms)
        results[name] = (c, a)
        print(f"{name:<8} {c['p50']:>9.3f}ms {c['p90']:>7.3f}ms {a['p50']:>9.3f}ms "
              f"{a['p90']:>7.3f}ms")
    (c_on, a_on), (c_off, a_off) = results["on"], results["off"]
    print(f"\non - off, p50: client {c_on['p50'] - c_off['p50']:+.3f} ms "
          f"(ratio {c_on['p50'] / c_off['p50']:.3f}), in-app {a_on['p50'] - a_off['p50']:+.3f} ms "
          f"(ratio {a_on['p50'] / a_off['p50']:.3f})")


if __name__ == "__main__":
    main()

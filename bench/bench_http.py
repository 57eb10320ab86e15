"""HTTP on loopback, open loop: ``POST /v1/score`` against a bare no-op on the same stack.

For 1 and then 2 worker processes, starts two servers side by side with
``fraud serve``'s uvicorn options: the service (``fraud serve --workers N``) and a
bare no-op ASGI app (``bench/noop_app.py``: no auth, no middleware, reads the body,
answers ``{}``). Then, for each arrival rate (default 200, 1,000 and 2,000 orders/s
for ``--seconds`` each) it sends the same stream of orders to the no-op and to
``/v1/score`` with the open-loop generator of ``bench/http_load.py`` (latency from each
request's due time, so stalls are paid for), and last saturates each with a closed
loop of ``--connections`` clients. Prints per run: orders/s achieved, p50, p99,
p99.9, errors, and our p50 and p99 as a ratio to the no-op's.

The orders are the bundled sample orders under fresh ids (every request stores a new
decision); the store is seeded first with ``--seed-orders`` of them through the
normal path, so history look-ups find something. The load generator is this process
(one core); the machine's other core and the rest of this one serve.

    .venv/bin/python bench/bench_http.py [--rates 200,1000,2000] [--seconds 10]
        [--workers 1,2] [--seed-orders 1000] [--database-url postgresql://...]

Rate limits are raised for the run (the defaults, 1,000/s per key and per client,
are a policy, not a cost). Run by hand; figures go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
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

from bench.http_load import Result, build_request, open_loop, saturate  # noqa: E402

READY_WITHIN = 300.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed_store(settings_env: dict[str, str], n: int) -> str:
    """Seed through the normal path; returns an API key for the run."""
    from fraud.demo import load_sample
    from fraud.runtime import Runtime
    from fraud.settings import Settings

    saved = {k: os.environ.get(k) for k in settings_env}
    os.environ.update(settings_env)
    try:
        runtime = Runtime.start(Settings(_env_file=None))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        start = time.perf_counter()
        stored = load_sample(runtime, limit=n) if n else 0
        print(f"seeded {stored} sample orders in {time.perf_counter() - start:.1f} s", flush=True)
        return runtime.create_api_key(f"bench-http-{os.getpid()}")
    finally:
        runtime.close()


def wait_ready(url: str, process: subprocess.Popen, log: Path) -> float:
    start = time.monotonic()
    while time.monotonic() - start < READY_WITHIN:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"server not ready after {READY_WITHIN:.0f} s:\n{log.read_text()[-3000:]}")


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out,  # noqa: S603 - ours
                                stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def requests_for(samples: list[dict], n: int, tag: str, key: str, path: str) -> list[bytes]:
    headers = {"Authorization": f"Bearer {key}"}
    return [
        build_request(path, json.dumps({**samples[i % len(samples)],
                                        "order_id": f"H-{tag}-{i}"}).encode(), headers)
        for i in range(n)
    ]


def line(label: str, r: Result, noop: Result | None) -> str:
    ratio = ""
    if noop is not None and noop.latencies_ms and r.latencies_ms:
        ratio = f"  {r.p50 / noop.p50:5.1f}x / {r.quantile(0.99) / noop.quantile(0.99):5.1f}x"
    late = f"  ({r.late_sends} sent >1 ms late)" if r.late_sends else ""
    if r.errors:
        failed = {k: v for k, v in r.statuses.items() if k != 200}
        lost = r.errors - sum(failed.values())
        late += f"  [HTTP {failed or 'none'}; {lost} timed out or cut]"
    return (f"{label:26s} {r.done / r.seconds:8.0f} {r.p50:8.2f} {r.quantile(0.99):8.2f} "
            f"{r.quantile(0.999):8.2f} {r.errors:6d}{ratio}{late}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="200,1000,2000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--connections", type=int, default=64, help="clients at saturation")
    parser.add_argument("--seed-orders", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]

    from fraud.demo import SAMPLE_ORDERS
    from fraud.simulate import read_orders

    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    store_env = {"FRAUD_DATA_DIR": str(folder / "var")}
    if args.database_url:
        store_env["FRAUD_DATABASE_URL"] = args.database_url
    key = seed_store(store_env, args.seed_orders)
    samples = list(read_orders(SAMPLE_ORDERS))[args.seed_orders:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUD_")}
    env.update(store_env)
    env.update({"PYTHONPATH": str(ROOT), "FRAUD_RATE_LIMIT_PER_KEY": "1000000/second",
                "FRAUD_RATE_LIMIT_PER_CLIENT": "1000000/second"})
    store = args.database_url.split("@")[-1] if args.database_url else "SQLite (WAL)"
    print(f"store: {store}; write mode: {env.get('FRAUD_WRITE_MODE', 'auto')}; "
          f"{args.seconds:.0f} s per rate; saturation: {args.connections} connections",
          flush=True)

    for workers in [int(w) for w in args.workers.split(",")]:
        noop_port, score_port = free_port(), free_port()
        noop = start([sys.executable, "bench/noop_app.py", str(noop_port), str(workers)],
                     env, folder / f"noop-{workers}.log")
        service = start([sys.executable, "-c", "from fraud.cli import app; app()", "serve",
                         "--port", str(score_port), "--workers", str(workers)],
                        env, folder / f"serve-{workers}.log")
        try:
            wait_ready(f"http://127.0.0.1:{noop_port}/", noop, folder / f"noop-{workers}.log")
            ready = wait_ready(f"http://127.0.0.1:{score_port}/readyz", service,
                               folder / f"serve-{workers}.log")
            print(f"\n{workers} worker(s): service ready in {ready:.1f} s; "
                  "warming up (other countries' postal tables load in the background)",
                  flush=True)
            warm = requests_for(samples, 2000, f"warm{workers}", key, "/v1/score")
            asyncio.run(saturate("127.0.0.1", score_port, warm, connections=8, seconds=20))
            time.sleep(20)
            print(f"{'run':26s} {'orders/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} "
                  f"{'p99.9 ms':>8s} {'errors':>6s}  ratio to no-op p50 / p99", flush=True)
            for rate in rates:
                n = int(rate * args.seconds)
                bodies = requests_for(samples, n, f"w{workers}r{rate}", key, "/v1/score")
                base = asyncio.run(open_loop("127.0.0.1", noop_port, bodies, rate))
                print(line(f"no-op    {rate:5d}/s open loop", base, None), flush=True)
                ours = asyncio.run(open_loop("127.0.0.1", score_port, bodies, rate))
                print(line(f"score    {rate:5d}/s open loop", ours, base), flush=True)
            n = int(max(rates) * args.seconds)
            bodies = requests_for(samples, n, f"w{workers}sat", key, "/v1/score")
            base = asyncio.run(saturate("127.0.0.1", noop_port, bodies,
                                        connections=args.connections, seconds=args.seconds))
            print(line("no-op    saturation", base, None), flush=True)
            ours = asyncio.run(saturate("127.0.0.1", score_port, bodies,
                                        connections=args.connections, seconds=args.seconds))
            print(line("score    saturation", ours, base), flush=True)
        finally:
            stop(noop)
            stop(service)
    print(f"\nserver logs in {folder}", flush=True)


if __name__ == "__main__":
    main()

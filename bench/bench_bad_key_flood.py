"""Does a flood of invalid API keys slow down the valid client? (issue 10 item 15)

    .venv/bin/python bench/bench_bad_key_flood.py [--seconds 6] [--rounds 3] [--flooders 8]

Starts ``fraud serve`` on 127.0.0.1 over a fresh SQLite store with one real key. One
client scores orders with it, one request at a time over one keep-alive connection,
alone, then while another process sends invented keys from ``--flooders`` concurrent
connections as fast as the server answers, from the same address; the two phases
alternate ``--rounds`` times and the medians are reported. Run twice: with the
default failed-authentication limit, and with that limit set out of reach (what the
service did before there was one). Prints valid orders per second alone and during
the flood, the ratio, and what the flood got back. Run by hand; figures go into
docs/reliability.md, nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from bench.bench_score import free_port  # noqa: E402


def make_store(data_dir: Path) -> str:
    from fraud.runtime import Runtime
    from fraud.settings import Settings

    runtime = Runtime.start(Settings(data_dir=data_dir, _env_file=None))
    try:
        return runtime.create_api_key("bench")
    finally:
        runtime.close()


def valid_for(base: str, key: str, seconds: float) -> float:
    """Orders scored per second by one sequential client."""
    from factories import make_order_data

    done = 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            payload = json.dumps(quiet_order(make_order_data, done))
            response = client.post("/v1/score", content=payload,
                                   headers={"Content-Type": "application/json"})
            response.raise_for_status()
            done += 1
        return done / (time.perf_counter() - start)


def quiet_order(make_order_data, i: int) -> dict:
    """A new customer each time: the valid client's cost must not grow with its own history."""
    tag = uuid.uuid4().hex[:12]
    return make_order_data(
        order_id=f"FLOOD-{tag}",
        customer={"account_id": f"C-{tag}", "email": f"c{tag}@example.nl"},
        ip_address=f"77.163.{i // 250 % 250}.{i % 250 + 1}", device_id=f"dev-{tag}",
    )


def flood(base: str, seconds: float, flooders: int, results: multiprocessing.Queue) -> None:
    async def one(client: httpx.AsyncClient, deadline: float, seen: Counter) -> None:
        while time.perf_counter() < deadline:
            key = "fsk_" + secrets.token_urlsafe(32)
            response = await client.get("/v1/orders/O-none",
                                        headers={"Authorization": f"Bearer {key}"})
            seen[response.status_code] += 1

    async def run() -> Counter:
        seen: Counter = Counter()
        deadline = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=flooders)
        async with httpx.AsyncClient(base_url=base, limits=limits) as client:
            await asyncio.gather(*(one(client, deadline, seen) for _ in range(flooders)))
        return seen

    results.put(dict(asyncio.run(run())))


def scenario(label: str, env_extra: dict[str, str], args: argparse.Namespace) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    key = make_store(data_dir)
    port = free_port()
    env = {**os.environ, "FRAUD_DATA_DIR": str(data_dir), **env_extra}
    fraud = Path(sys.executable).with_name("fraud")
    server = subprocess.Popen(  # noqa: S603 - our own command and arguments
        [str(fraud), "serve", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        time.sleep(args.settle)  # the other countries' postal tables load in the background
        valid_for(base, key, 2)  # warm up
        # alternate the phases, so whatever else runs on the machine meanwhile (background
        # loading, other processes) weighs on both alike; the median of each is reported
        alone, during, seen = [], [], Counter()
        for _ in range(args.rounds):
            alone.append(valid_for(base, key, args.seconds))
            results: multiprocessing.Queue = multiprocessing.Queue()
            flooder = multiprocessing.Process(
                target=flood, args=(base, args.seconds + 1, args.flooders, results))
            flooder.start()
            time.sleep(0.5)
            during.append(valid_for(base, key, args.seconds))
            seen.update(results.get(timeout=60))
            flooder.join()
    finally:
        server.terminate()
        server.wait()
    total = sum(seen.values())
    return {"label": label, "alone": statistics.median(alone),
            "during": statistics.median(during), "flood": seen,
            "flood_rate": total / ((args.seconds + 1) * args.rounds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=3, help="alone/flood phase pairs")
    parser.add_argument("--flooders", type=int, default=8)
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds to wait after start-up for background loading")
    args = parser.parse_args()
    rows = [
        scenario("failed-auth limit 30/minute (default)", {}, args),
        scenario("failed-auth limit out of reach", {"FRAUD_RATE_LIMIT_FAILED_AUTH":
                                                    "100000000/minute"}, args),
    ]
    print(f"\none valid client, sequential POST /v1/score; {args.rounds} x (alone, flood) phases "
          f"of {args.seconds:.0f} s, medians; flood: {args.flooders} connections of invented "
          "keys from the same address\n")
    print(f"{'':<40} {'valid alone':>12} {'during flood':>13} {'ratio':>6}   flood answers")
    for r in rows:
        answers = ", ".join(f"{n} x {code}" for code, n in sorted(r["flood"].items()))
        print(f"{r['label']:<40} {r['alone']:>10.1f}/s {r['during']:>11.1f}/s "
              f"{r['during'] / r['alone']:>6.2f}   {answers} ({r['flood_rate']:.0f}/s)")


if __name__ == "__main__":
    main()

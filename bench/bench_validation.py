"""Validation of an order body, two ways, in CPU µs per order.

* ``model_validate_json``: pydantic-core straight from the bytes (``parse_order``, what
  in-process callers and the benchmarks use);
* what the API does: ``json.loads`` with the duplicate-key check of ``api/body.py``, then
  ``Order.model_validate`` on the dict;
* and the duplicate-key ``json.loads`` alone.

Bodies are the newer simulated orders of a bulk-loaded store (``bench/million_store.py``).

    .venv/bin/python bench/bench_validation.py [--store var/bench/store-200k.sqlite]
        [--store-orders 200000] [--orders 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.million_store import ensure_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=ROOT / "var/bench/store-200k.sqlite")
    parser.add_argument("--store-orders", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()
    _, next_orders = ensure_store(args.store, args.store_orders)

    from api.body import _refuse_duplicate_keys
    from fraud.schema import Order

    bodies = [line.encode() for line in next_orders.read_text().splitlines()[: args.orders]]

    def from_bytes() -> None:
        for body in bodies:
            Order.model_validate_json(body)

    def as_the_api_does() -> None:
        for body in bodies:
            data = json.loads(body.decode(), object_pairs_hook=_refuse_duplicate_keys)
            Order.model_validate(data)

    def duplicate_key_json_only() -> None:
        for body in bodies:
            json.loads(body.decode(), object_pairs_hook=_refuse_duplicate_keys)

    runs: dict[str, list[float]] = {}
    for _ in range(3):  # alternating, so the machine's load hits each alike
        for fn in (from_bytes, as_the_api_does, duplicate_key_json_only):
            start = time.process_time()
            fn()
            runs.setdefault(fn.__name__, []).append(
                (time.process_time() - start) / len(bodies) * 1e6)
    print(f"CPU µs per order over {len(bodies)} bodies (best of 3 alternating runs):")
    for name, values in runs.items():
        print(f"  {name:26s} {min(values):7.1f}")


if __name__ == "__main__":
    main()

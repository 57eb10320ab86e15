"""How fast the simulator makes orders: generation, then writing JSON lines.

Run by hand: ``.venv/bin/python bench/bench_simulate.py [N]`` (default 1,000,000).
Prints wall-clock and CPU time per phase (CPU time is the fairer figure on a
busy machine) and orders per second.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from fraud.simulate import simulate


def _phase(label: str, n: int, wall: float, cpu: float) -> None:
    print(f"{label:<22} {wall:7.1f} s wall {cpu:7.1f} s cpu  {n / wall:>10,.0f} orders/s")


def main(n: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        w0, c0 = time.perf_counter(), time.process_time()
        sim = simulate(n, days=90, seed=1)
        w1, c1 = time.perf_counter(), time.process_time()
        sim.write(out / "orders.jsonl")
        w2, c2 = time.perf_counter(), time.process_time()
        sim.write_outcomes(out / "outcomes.jsonl")
        sim.write_truth(out / "truth.csv")
        w3, c3 = time.perf_counter(), time.process_time()
        size = (out / "orders.jsonl").stat().st_size
    print(f"simulate {n:,} orders over 90 days ({size / 1e6:,.0f} MB of JSON lines)")
    _phase("generate", n, w1 - w0, c1 - c0)
    _phase("write orders (JSONL)", n, w2 - w1, c2 - c1)
    _phase("outcomes + truth", n, w3 - w2, c3 - c2)
    _phase("total", n, w3 - w0, c3 - c0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

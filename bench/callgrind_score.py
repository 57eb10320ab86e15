"""Instructions per scored order, counted by callgrind: a figure the machine's load does
not move (timings on the shared 2-core machine moved by ±40 % between runs).

Runs itself under ``valgrind --tool=callgrind --instr-atstart=no``: the child starts a
``Runtime`` on a copy of a bulk-loaded store (``bench/million_store.py``), waits for the
history feature store when there is one, scores ``--warm`` orders, then instrumentation
is switched on (``callgrind_control -i on``) for ``--orders`` more ``parse_order`` +
``Runtime.score`` calls, and the child exits. Prints the instructions counted in the
scoring (main) thread divided by the orders scored; the service's background threads are
counted apart (``--separate-threads=yes``).

    .venv/bin/python bench/callgrind_score.py [--store var/bench/callgrind.sqlite]
        [--store-orders 20000] [--orders 50] [--warm 50]

``PYTHONPATH=<another checkout>`` counts that checkout's code the same way (the child
only uses ``Runtime.start``, ``Runtime.score`` and ``parse_order``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STORE = ROOT / "var" / "bench" / "callgrind.sqlite"


def driver(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.million_store import ensure_store

    _, next_orders = ensure_store(args.store, args.store_orders)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "run.sqlite"
        shutil.copyfile(args.store, copy)
        go, out = Path(scratch) / "go", Path(scratch) / "callgrind.out.%p"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
            f"--callgrind-out-file={out}", sys.executable, __file__, "--child", str(copy),
            str(next_orders), str(go), str(args.orders), str(args.warm),
        ]
        child = subprocess.Popen(  # noqa: S603 - valgrind on our own interpreter and script
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert child.stdout is not None
        for line in child.stdout:
            print("  child:", line.rstrip(), flush=True)
            if line.startswith("READY"):
                subprocess.run(  # noqa: S603 - a pid we started
                    ["callgrind_control", "-i", "on", str(child.pid)],  # noqa: S607
                    check=True, capture_output=True)
                go.touch()
        child.wait()
        errors = child.stderr.read() if child.stderr else ""
        dumps = sorted(Path(scratch).glob("callgrind.out*"))
        if child.returncode != 0 or not dumps:
            raise SystemExit(f"the child failed ({child.returncode}):\n{errors[-3000:]}")
        counts = {dump.name: _instructions(dump) for dump in dumps}
        # one file per thread: "-01" is the main thread, the one scoring; the others are
        # the service's background threads (WAL checkpoints, the connection watchdog),
        # which run as long as valgrind's slow run lasts
        main = sum(n for name, n in counts.items() if name.endswith("-01"))
        print(f"{main:,} instructions in the scoring thread for {args.orders} scored orders: "
              f"{main / args.orders:,.0f} per order (parse_order + Runtime.score); "
              f"{sum(counts.values()):,} in all {len(counts)} threads")


def _instructions(dump: Path) -> int:
    text = dump.read_text(errors="replace")
    found = re.search(r"^summary:\s+(\d+)", text, re.MULTILINE) or re.search(
        r"^totals:\s+(\d+)", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def child(store: str, next_orders: str, go: str, n: int, warm: int) -> None:
    from fraud.runtime import Runtime
    from fraud.schema import parse_order
    from fraud.settings import Settings

    runtime = Runtime.start(Settings(data_dir=Path(store).parent,
                                     database_url=f"sqlite:///{store}", _env_file=None))
    # every country's postal tables now, not inside a counted order (seconds of work each)
    runtime.warm_up_in_background().join()
    features = getattr(runtime, "features", None)
    if features is not None:
        features.wait_ready()
    lines = Path(next_orders).read_text().splitlines()[: warm + n]
    bodies = [json.dumps({**json.loads(line), "order_id": f"CG-{i}"}).encode()
              for i, line in enumerate(lines)]
    for body in bodies[:warm]:
        runtime.score(parse_order(body))
    print("READY", flush=True)
    while not Path(go).exists():
        time.sleep(0.05)
    for body in bodies[warm:]:
        runtime.score(parse_order(body))
    os._exit(0)  # no teardown inside the count


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        store, next_orders, go, n, warm = sys.argv[2:7]
        child(store, next_orders, go, int(n), int(warm))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--store-orders", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--warm", type=int, default=50)
    driver(parser.parse_args())


if __name__ == "__main__":
    main()

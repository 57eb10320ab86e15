"""How long the demo loader (``fraud serve --demo``) takes, and how big the SQLite WAL gets.

Starts a runtime on a fresh SQLite store in a temporary folder (with the
service's background WAL checkpointer, as ``fraud serve`` runs it), loads the
bundled sample orders and outcomes with :func:`fraud.demo.load_sample`, and
prints the wall time, orders per second, the largest WAL size seen (polled
every 0.2 s) and the sizes of the database and WAL at the end.

    .venv/bin/python bench/bench_demo_load.py [--limit 20000]

Run by hand; figures go into docs/performance.md. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="Only the first N orders")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    from fraud.demo import load_sample
    from fraud.runtime import Runtime
    from fraud.settings import Settings

    data_dir = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    runtime = Runtime.start(Settings(data_dir=data_dir, _env_file=None))
    database = Path(runtime.settings.resolved_database_url.removeprefix("sqlite:///"))
    wal = database.with_name(database.name + "-wal")
    largest = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal largest
        while not done.wait(0.2):
            largest = max(largest, wal.stat().st_size if wal.exists() else 0)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    stored = load_sample(runtime, limit=args.limit)
    took = time.perf_counter() - start
    done.set()
    watcher.join()
    largest = max(largest, wal.stat().st_size if wal.exists() else 0)
    mib = 1024 * 1024
    print(f"stored {stored} orders in {took:.1f} s ({stored / took:,.0f} orders/s)")
    print(f"largest WAL seen: {largest / mib:,.1f} MiB")
    print(f"at the end: database {database.stat().st_size / mib:,.1f} MiB, "
          f"WAL {(wal.stat().st_size if wal.exists() else 0) / mib:,.1f} MiB")
    runtime.close()


if __name__ == "__main__":
    main()

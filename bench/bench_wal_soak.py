"""Does the SQLite WAL stay bounded under steady load with readers always active?

Scores ``--orders`` orders at ``--rate`` per second through the service's runtime
(the same store, checkpoint thread and settings as ``fraud serve``), while
``--readers`` threads keep reading stored orders back, each in a short read
transaction, with no pause between them: the load under which passive checkpoints
never reach the end of the WAL. Prints the WAL file's size every second, its
largest size and its size at the end.

    .venv/bin/python -m bench.bench_wal_soak [--orders 3000] [--rate 100] [--readers 3]
        [--wal-max-bytes 67108864]

``--wal-max-bytes 0`` turns the bound off (passive checkpoints only, as before the
fix), for comparison. Run by hand; figures go into docs/reliability.md. Nothing here
is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
UNBOUNDED = 1 << 62


def sample_orders(n: int) -> list:
    from fraud.demo import SAMPLE_ORDERS
    from fraud.schema import parse_order
    from fraud.simulate import read_orders

    orders = []
    for i, data in enumerate(read_orders(SAMPLE_ORDERS)):
        if i >= n:
            break
        orders.append(parse_order({**data, "order_id": f"SOAK-{i:07d}"}))
    return orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0, help="orders per second")
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--wal-max-bytes", type=int, default=64 * MIB,
                        help="FRAUD_SQLITE_WAL_MAX_BYTES; 0: no bound (passive checkpoints)")
    args = parser.parse_args()

    from fraud.errors import StoreUnavailable
    from fraud.runtime import Runtime
    from fraud.settings import Settings
    from fraud.store.db import wal_bytes

    orders = sample_orders(args.orders)
    data_dir = Path(tempfile.mkdtemp(prefix="wal-soak-"))
    runtime = Runtime.start(Settings(
        data_dir=data_dir, _env_file=None,
        sqlite_wal_max_bytes=args.wal_max_bytes or UNBOUNDED,
    ))
    stored: list[str] = []
    done = threading.Event()
    reads = [0]

    unavailable = [0]  # 503s a client would have seen (a store timeout on a busy machine)

    def read_forever() -> None:
        while not done.is_set():
            if stored:
                try:
                    runtime.get_order(random.choice(stored))  # noqa: S311 - load, not secrets
                except StoreUnavailable:
                    unavailable[0] += 1
                reads[0] += 1
            else:
                time.sleep(0.01)

    readers = [threading.Thread(target=read_forever, daemon=True) for _ in range(args.readers)]
    for reader in readers:
        reader.start()

    bound = "off" if not args.wal_max_bytes else f"{args.wal_max_bytes / MIB:.0f} MiB"
    print(f"{len(orders)} orders at {args.rate:g}/s, {args.readers} readers, WAL bound {bound}")
    print("   s  scored  WAL MiB")
    largest = 0
    began = time.monotonic()
    next_report = began + 1
    for i, order in enumerate(orders):
        due = began + i / args.rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        while True:  # as the order service would: retry a 503
            try:
                runtime.score(order)
                break
            except StoreUnavailable:
                unavailable[0] += 1
        stored.append(order.order_id)
        size = wal_bytes(runtime.engine)
        largest = max(largest, size)
        if time.monotonic() >= next_report:
            next_report += 1
            print(f"{time.monotonic() - began:4.0f}  {i + 1:6d}  {size / MIB:7.1f}")
    elapsed = time.monotonic() - began
    done.set()
    for reader in readers:
        reader.join()
    print(f"scored {len(orders)} in {elapsed:.0f} s ({len(orders) / elapsed:.0f}/s), "
          f"{reads[0]} reads by {args.readers} readers, {unavailable[0]} store-unavailable")
    print(f"WAL largest {largest / MIB:.1f} MiB, at the end {wal_bytes(runtime.engine) / MIB:.1f}"
          f" MiB; database {(data_dir / 'fraud.db').stat().st_size / MIB:.1f} MiB")
    runtime.close()


if __name__ == "__main__":
    main()

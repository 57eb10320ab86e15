"""Memory of a running ``fraud serve`` under a flood of huge headers (issue 10, item 13).

Starts ``fraud serve`` on a fresh store, sends 8 concurrent requests with a 20 MB
``Authorization`` header, and prints the process's resident memory before and after.
Run by hand: ``.venv/bin/python -m bench.bench_header_flood [PATH_TO_FRAUD]``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HEADER_BYTES = 20_000_000
CLIENTS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_mb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def _send_huge_header(port: int) -> None:
    request = (
        b"GET /v1/orders/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + b"x" * HEADER_BYTES
        + b"\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(request)
            conn.recv(100)
    except OSError:
        pass  # refused mid-send: what a bounded server does


def main(fraud: str) -> None:
    tmp = tempfile.mkdtemp()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUD_")}
    env.update(FRAUD_DATA_DIR=tmp, FRAUD_MODEL_DIR=f"{tmp}/no-models")
    server = subprocess.Popen(  # noqa: S603 - the fraud command given on our own command line
        [fraud, "serve", "--port", str(port)],
        cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        before = _memory_mb(server.pid, "VmRSS")
        clients = [threading.Thread(target=_send_huge_header, args=(port,)) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        after, peak = _memory_mb(server.pid, "VmRSS"), _memory_mb(server.pid, "VmHWM")
        print(
            f"{CLIENTS} x {HEADER_BYTES // 1_000_000} MB headers: resident {before} MB before, "
            f"{after} MB after, peak {peak} MB"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(sys.executable).parent / "fraud"))

"""A real ``fraud serve`` in a child process, for what only a running server shows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Server:
    url: str
    log_path: Path
    key: str

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _create_key(env: dict[str, str], cwd: Path) -> str:
    out = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", "from fraud.cli import app; app()", "apikey", "create", "svc"],
        env=env, cwd=cwd, capture_output=True, text=True, check=True,
    )
    return next(w for w in out.stdout.split() if w.startswith("fsk_"))


@contextmanager
def running_server(tmp: Path, *, workers: int = 1, **settings: str) -> Iterator[Server]:
    """``fraud serve`` on a fresh SQLite store, rules only, with ``FRAUD_<NAME>`` settings."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FRAUD_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(FRAUD_DATA_DIR=str(tmp), FRAUD_MODEL_DIR=str(tmp / "no-models"))
    env.update({f"FRAUD_{name.upper()}": v for name, v in settings.items()})
    key = _create_key(env, tmp)
    log_path = tmp / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-c", "from fraud.cli import app; app()", "serve",
             "--port", str(port), "--workers", str(workers)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            if process.poll() is not None:
                raise AssertionError(f"fraud serve exited: {log_path.read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("fraud serve did not answer /readyz")
        yield Server(url, log_path, key)
    finally:
        process.terminate()
        process.wait(timeout=30)

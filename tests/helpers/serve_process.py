"""``fraud serve`` as a real process: started with chosen settings, waited for, killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# Start-up loads postal and city tables: about 10 s on an idle machine, much longer on
# a busy one. A hang guard, not a timing assert.
START_WITHIN = 240.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServeProcess:
    env: dict[str, str]
    log_path: Path
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def start(self) -> ServeProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUD_")}
        env.update(self.env)
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-c", "from fraud.cli import app; app()", "serve",
                 "--port", str(self.port), *self.args],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.log_path.parent,
            )
        return self

    def wait_ready(self) -> None:
        """Until ``/readyz`` answers 200; fails with the log if the process exits first."""
        deadline = time.monotonic() + START_WITHIN
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"fraud serve exited:\n{self.log()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"fraud serve did not get ready:\n{self.log()[-3000:]}")

    def kill_hard(self) -> None:
        """kill -9: no shutdown, no flush, no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

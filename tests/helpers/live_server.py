"""A real uvicorn server on a thread, serving an app the test built: real sockets,
keep-alive and an event loop of its own, so a test can see what a client would."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


@contextmanager
def live_server(app: FastAPI, *, keep_alive_seconds: int = 5) -> Iterator[str]:
    """Serve ``app`` on a free local port; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, http="h11", log_level="warning", lifespan="on",
        timeout_keep_alive=keep_alive_seconds,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)

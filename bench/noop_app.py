"""The bare no-op endpoint of bench_http.py: a tiny ASGI app with no auth and no
middleware, served by uvicorn with ``fraud serve``'s own options (h11, keep-alive,
logging, workers), so our latency can be put as a ratio to the server stack's own.

    python bench/noop_app.py PORT WORKERS
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BODY = b"{}"
HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"2")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":  # lifespan: nothing to start
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:  # read the body, as the service must
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    import uvicorn

    from fraud.cli.serve import server_options
    from fraud.settings import Settings

    port, workers = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run("bench.noop_app:app", **server_options(Settings(), "127.0.0.1", port, workers))

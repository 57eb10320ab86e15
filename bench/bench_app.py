"""The service app plus two reference endpoints, for bench_score.py.

``/bench/noop`` takes the same body and the same API key check but does nothing;
``/bench/validate`` only validates the order. Both are mounted on the same server
as ``/v1/score`` so the ratios compare like with like. A ``Server-Timing`` header
reports the time spent inside the app for every request.
"""

from __future__ import annotations

import time

from fastapi import Request

from api.deps import ApiKeyDep
from api.main import create_app
from fraud.schema import Order
from fraud.settings import get_settings


def create():
    app = create_app(get_settings())

    @app.post("/bench/noop")
    async def noop(request: Request, _key: ApiKeyDep) -> dict:
        await request.body()
        return {}

    @app.post("/bench/validate")
    async def validate(order: Order, _key: ApiKeyDep) -> dict:
        return {"order_id": order.order_id}

    return ServerTiming(app)


class ServerTiming:
    """Pure ASGI (BaseHTTPMiddleware would itself cost more than a millisecond)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message):
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - start) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={took:.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)

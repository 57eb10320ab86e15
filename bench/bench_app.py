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

    @app.middleware("http")
    async def server_timing(request: Request, call_next):
        start = time.perf_counter()
        response = await call_next(request)
        response.headers["server-timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.3f}"
        return response

    return app

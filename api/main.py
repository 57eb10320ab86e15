"""The FastAPI app: a thin layer over the library."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import events, review
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from api.metrics import install_metrics
from api.ratelimit import RateLimits
from api.request_id import RequestId
from api.routes import health, orders, score
from fraud import __version__, demo
from fraud.runtime import Runtime
from fraud.settings import Settings, get_settings

log = logging.getLogger(__name__)

DESCRIPTION = """
Scores web-shop orders for fraud: `approve`, `review` or `decline`, a 0–100 score and
the reasons in plain words. Authenticate with `Authorization: Bearer <key>`; create keys
with `fraud apikey create NAME`. Errors always have the shape `{code, message, fields}`.
"""


DOCS_ASSETS_URL = "/docs-assets"


def _reload_on_sighup(runtime: Runtime) -> bool:
    """`kill -HUP <pid>` re-reads rules, shadow rules and model (:meth:`Runtime.reload`, which
    logs what happened); a bad file leaves the old one running. False: not installed."""
    try:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, runtime.reload)
    except (NotImplementedError, RuntimeError, ValueError, AttributeError):
        # not the main thread (a test client), or no SIGHUP (Windows)
        log.debug("SIGHUP reload not installed", exc_info=True)
        return False
    return True


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime or Runtime.start(settings)
        # made here, in the server's event loop: a Redis client belongs to one loop
        app.state.rate_limits = RateLimits.from_settings(settings)
        if runtime is None:  # a real server, not a test handing in its own runtime
            app.state.runtime.warm_up_in_background()
            app.state.runtime.start_drift_watch()
            if settings.demo:
                demo.start_in_background(app.state.runtime)
        _reload_on_sighup(app.state.runtime)
        review.announce_first_users(app.state.runtime)
        review.resend_pending_webhooks(app.state.runtime)
        try:
            yield
        finally:
            await app.state.rate_limits.close()
            if runtime is None:
                app.state.runtime.close()

    # /docs and /redoc with their scripts and styles served from an installed package,
    # not a CDN: the pages work on a machine without internet access.
    app = FastAPIOffline(
        title="Order fraud scoring",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url=DOCS_ASSETS_URL,
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
    )
    if runtime is not None:
        app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(score.router)
    app.include_router(orders.router)
    app.include_router(events.router)
    app.include_router(health.router)
    review.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_metrics(app, settings)  # last: its middleware sees every answer, 413s included
    app.add_middleware(RequestId)  # outermost: every log line of a request names it
    return app

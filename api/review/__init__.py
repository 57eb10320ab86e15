"""The review queue pages: server-rendered HTML over :mod:`fraud.review`.

:func:`install` adds the routers, the local static files, the security headers and the
handlers that turn "not signed in" into a redirect and "not allowed" into an HTML 403.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.review import admin, auth, cases, dashboard, erasure, order, queue
from api.review.headers import ReviewSecurityHeaders
from api.review.web import PageForbidden, SignInRequired, login_url, render
from fraud.review.bootstrap import announcement, first_users
from fraud.review.webhook import Webhook, resend_pending
from fraud.runtime import Runtime

STATIC = Path(__file__).resolve().parents[1] / "static"


def install(app: FastAPI) -> None:
    app.mount("/review/static", StaticFiles(directory=STATIC), name="review-static")
    for module in (auth, queue, order, admin, dashboard, cases, erasure):
        app.include_router(module.router, include_in_schema=False)
    app.add_middleware(ReviewSecurityHeaders)

    @app.exception_handler(SignInRequired)
    async def _sign_in(_: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "review/error.html", None, status_code=403,
                      title="Not allowed", message=exc.message)


def announce_first_users(runtime: Runtime) -> None:
    """Create the first admin (and in demo mode a reviewer) on a store without users,
    and print a drawn password once, on stderr: never into the log. ``fraud serve`` has
    done this before the server starts; this covers an app served any other way."""
    with runtime.sessions() as session:
        created = first_users(session, runtime.settings)
    for user in created:
        print(announcement(user), file=sys.stderr, flush=True)


def resend_pending_webhooks(runtime: Runtime) -> None:
    """Send again the webhook calls an earlier process left in flight when it stopped
    (each from a background thread; the server does not wait)."""
    hook = Webhook.from_settings(runtime.settings)
    if hook is not None:
        resend_pending(hook, runtime.sessions)

"""Dependencies as named aliases, so handlers stay one or two lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.ratelimit import RateLimits
from fraud.errors import Unauthorized
from fraud.runtime import Runtime

_bearer = HTTPBearer(
    auto_error=False, description="API key created with `fraud apikey create NAME`"
)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_address(request: Request) -> str:
    """The peer's address (behind a proxy, uvicorn's ``--forwarded-allow-ips`` sets it)."""
    return request.client.host if request.client else "unknown"


async def require_api_key(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    limits: RateLimits = request.app.state.rate_limits
    client = client_address(request)
    await limits.spend_client(client)
    bearer = credentials is not None and credentials.scheme.lower() == "bearer"
    secret = credentials.credentials if credentials is not None and bearer else None
    if secret is None:
        await limits.check_failed_auth(client, None)
        await limits.spend_failed_auth(client)
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    # A remembered answer costs no query; otherwise the store is asked from a worker
    # thread, so a slow or frozen database never blocks the event loop.
    name = runtime.cached_api_key(secret)
    if not name:  # an address flooding bad keys gets no look-up for one not known good
        await limits.check_failed_auth(client, secret)
    if name is None:
        name = await run_in_threadpool(runtime.verify_api_key, secret)
    if not name:
        await limits.spend_failed_auth(client)
        raise Unauthorized("invalid or revoked API key")
    await limits.spend_key(name, secret)
    return name


ApiKeyDep = Annotated[str, Depends(require_api_key)]

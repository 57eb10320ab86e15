"""Dependencies as named aliases, so handlers stay one or two lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from fraud.errors import Unauthorized
from fraud.runtime import Runtime

_bearer = HTTPBearer(
    auto_error=False, description="API key created with `fraud apikey create NAME`"
)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def require_api_key(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    # A remembered answer costs no query; otherwise the store is asked from a worker
    # thread, so a slow or frozen database never blocks the event loop.
    name = runtime.cached_api_key(credentials.credentials)
    if name is None:
        name = await run_in_threadpool(runtime.verify_api_key, credentials.credentials)
    if not name:
        raise Unauthorized("invalid or revoked API key")
    return name


ApiKeyDep = Annotated[str, Depends(require_api_key)]

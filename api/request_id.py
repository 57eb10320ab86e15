"""Give every request an id, log lines and the answer carry it (``X-Request-ID``).

Pure ASGI: it sets the id before anything else runs, so uvicorn's access line and every
line the service logs while serving the request name it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fraud.monitoring.request_id import HEADER, current_request_id, request_id_from

_HEADER_KEY = HEADER.lower().encode("latin-1")


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", ()) if k == _HEADER_KEY), None)
        request_id = request_id_from(given.decode("latin-1") if given is not None else None)
        # Not reset afterwards: each request runs in its own task with its own copy of the
        # context, and whatever logs after the app returned (the access line) still names it.
        current_request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)

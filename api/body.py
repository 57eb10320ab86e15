"""Request bodies read as JSON with no silent merging: a key given twice is refused.

``json.loads`` keeps the last of two equal keys, so ``{"amount": "1", "amount": "900"}``
would be scored on whichever value the parser happened to keep; another reader of the
same bytes may keep the other. A 422 naming the key leaves no doubt.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from fraud.schema import MAX_FIELD_NAME_SHOWN


class DuplicateKey(HTTPException):
    def __init__(self, key: str) -> None:
        shown = key if len(key) <= MAX_FIELD_NAME_SHOWN else f"{key[:MAX_FIELD_NAME_SHOWN]}..."
        super().__init__(status_code=422, detail=f"key {shown!r} is given more than once")
        self.key = shown


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # the common case costs one length comparison
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return obj


def _utf8(raw: bytes) -> str:
    """JSON on the wire is UTF-8 (RFC 8259). Bytes that are not were a 400 "error parsing
    the body" (a UnicodeDecodeError is no JSONDecodeError); as one they become a 422."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(
            "the body is not UTF-8 text", raw.decode("utf-8", "replace"), exc.start
        ) from None


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            text = _utf8(await self.body())
            self._json = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body refuses duplicate keys (``APIRouter(route_class=...)``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler

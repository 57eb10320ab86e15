"""One place that turns errors into JSON of the shape :class:`api.schemas.ErrorOut`,
and the OpenAPI description of every error status an endpoint can answer."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.body import DuplicateKey
from api.schemas import ErrorOut
from fraud.errors import FraudError, StoreUnavailable
from fraud.schema import error_location, safe_error_message
from fraud.store.failures import TRANSIENT, classify

log = logging.getLogger(__name__)

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
# Seconds a client is told to wait before retrying after a 503: a store that is
# restarting or was briefly frozen is usually back by then.
RETRY_AFTER_SECONDS = 1

# What each error status means, with a real example of its body, for the OpenAPI page.
ERROR_STATUSES: dict[int, tuple[str, dict[str, Any]]] = {
    401: ("Missing, wrong or revoked API key (`Authorization: Bearer <key>`)", {
        "code": "unauthorized", "message": "invalid or revoked API key", "fields": []}),
    404: ("No order with this id was scored", {
        "code": "not_found", "message": "order 'O-2026-000123' not found", "fields": []}),
    409: ("The order id was already scored with different contents: an order id must not "
          "be reused (sending the same order again returns the stored decision)", {
        "code": "conflict",
        "message": "order 'O-2026-000123' was already scored with different contents; "
        "an order id must not be reused", "fields": []}),
    413: ("The request body is larger than `FRAUD_MAX_BODY_BYTES`", {
        "code": "too_large", "message": "request body is larger than 262144 bytes",
        "fields": []}),
    422: ("Invalid input: every field that is wrong, with the reason (never the input)", {
        "code": "invalid_input",
        "message": "payment.amount: Input should be greater than or equal to 0",
        "fields": [{"field": "payment.amount",
                    "reason": "Input should be greater than or equal to 0"}]}),
    429: ("Too many requests from this API key or client address, or too many failed "
          "authentications from this address: nothing was done; retry after `Retry-After` "
          "seconds", {
        "code": "rate_limited", "message": "too many requests for this API key",
        "fields": []}),
    500: ("An unexpected error; the server log has the details", {
        "code": "internal_error", "message": "internal error; see server log", "fields": []}),
    503: ("The store is unreachable, frozen, busy or full (`store_full`): nothing was "
          "stored; retry after `Retry-After` seconds", {
        "code": "store_unavailable",
        "message": "the store is unavailable; retry later", "fields": []}),
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each error status with its meaning and an example."""
    return {
        status: {
            "model": ErrorOut,
            "description": ERROR_STATUSES[status][0],
            "content": {"application/json": {"example": ERROR_STATUSES[status][1]}},
        }
        for status in statuses
    }


def error_body(code: str, message: str, fields: list[dict] | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or []}


def _invalid_json(err: dict, document: Any) -> str:
    """'invalid JSON at line 3 column 12: Expecting value' (FastAPI gives a character
    offset; people count lines)."""
    reason = err.get("ctx", {}).get("error", "cannot be parsed")
    loc = err.get("loc", ())
    if isinstance(document, bytes):
        document = document.decode("utf-8", errors="replace")
    if isinstance(document, str) and len(loc) > 1 and isinstance(loc[1], int):
        where = json.JSONDecodeError(reason, document, loc[1])
        return f"invalid JSON at line {where.lineno} column {where.colno}: {reason}"
    return f"invalid JSON: {reason}"


# One request may hold thousands of errors (2,000 unknown keys): list the first few.
MAX_FIELD_ERRORS = 20


def _field_errors(errors: list[Any], body: Any) -> list[dict[str, str]]:
    fields = []
    for err in errors[:MAX_FIELD_ERRORS]:
        if err.get("type") == "json_invalid":
            fields.append({"field": "body", "reason": _invalid_json(err, body)})
        else:
            fields.append({"field": error_location(err), "reason": safe_error_message(err)})
    return fields


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo the input back: it may be a megabyte of attacker-chosen text.
        errors = list(exc.errors())
        fields = _field_errors(errors, exc.body)
        first = fields[0] if fields else {"field": "body", "reason": "invalid"}
        message = f"{first['field']}: {first['reason']}"
        if len(errors) > len(fields):
            message += f" (+{len(errors) - 1} more errors; the first {len(fields)} are listed)"
        return JSONResponse(status_code=422, content=error_body("invalid_input", message, fields))

    @app.exception_handler(DuplicateKey)
    async def _duplicate_key(_: Request, exc: DuplicateKey) -> JSONResponse:
        fields = [{"field": exc.key, "reason": "given more than once in one JSON object"}]
        return JSONResponse(status_code=422, content=error_body(
            "invalid_input", f"{exc.key}: given more than once in one JSON object", fields))

    @app.exception_handler(FraudError)
    async def _fraud(_: Request, exc: FraudError) -> JSONResponse:
        if exc.status >= 500:
            kind = f" ({exc.detail})" if isinstance(exc, StoreUnavailable) else ""
            log.error("%s: %s%s", exc.code, exc.message, kind)
        headers = None
        retry_after = getattr(exc, "retry_after", None)
        if exc.status == 401:
            headers = BEARER_CHALLENGE
        elif isinstance(exc, StoreUnavailable):
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        elif retry_after is not None:  # a rate limit (api/ratelimit.py)
            headers = {"Retry-After": str(retry_after)}
        return JSONResponse(
            status_code=exc.status, content=error_body(exc.code, exc.message), headers=headers
        )

    async def _store_fault(request: Request, exc: Exception) -> JSONResponse:
        # A driver error that escaped Runtime.store_call (a store call made elsewhere):
        # connection refused, server gone, SQLite busy or full; the client may retry.
        fault = classify(exc) or StoreUnavailable("the store is unavailable; retry later")
        return await _fraud(request, fault)

    for kind in TRANSIENT:
        app.add_exception_handler(kind, _store_fault)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        headers = getattr(exc, "headers", None)
        return JSONResponse(
            status_code=exc.status_code,
            content=error_body(code.get(exc.status_code, "http_error"), str(exc.detail)),
            headers=headers,
        )

    app.add_middleware(UnhandledErrors)


class UnhandledErrors:
    """A bug becomes a complete 500 response, and the connection stays usable.

    Not an ``exception_handler(Exception)``: Starlette sends that handler's response
    and then raises the error again to the server, and uvicorn answers an error
    raised after a response by closing the connection, so a client's next request
    on it (sent before it noticed) was reset. Here the error ends with the response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error")
            if started:
                raise  # half a response is out: only closing the connection ends it cleanly
            response = JSONResponse(
                status_code=500,
                content=error_body("internal_error", "internal error; see server log"),
            )
            await response(scope, receive, send)

"""One place that turns errors into JSON of the shape :class:`api.schemas.ErrorOut`,
and the OpenAPI description of every error status an endpoint can answer."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.body import DuplicateKey
from api.schemas import ErrorOut
from fraud.errors import FraudError
from fraud.schema import error_location, safe_error_message

log = logging.getLogger(__name__)

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
# The store's hot path runs on the DBAPI connection, so its errors come unwrapped too.
STORE_UNAVAILABLE = (sqlalchemy.exc.OperationalError, sqlite3.OperationalError,
                     psycopg.OperationalError)

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
    503: ("The store is unreachable or busy: nothing was stored; retry later", {
        "code": "store_unavailable", "message": "the store is unavailable; retry later",
        "fields": []}),
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
            log.error("%s: %s", exc.code, exc.message)
        headers = BEARER_CHALLENGE if exc.status == 401 else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            headers = {"Retry-After": str(retry_after)}
        return JSONResponse(
            status_code=exc.status, content=error_body(exc.code, exc.message), headers=headers
        )

    async def _store_unavailable(_: Request, exc: Exception) -> JSONResponse:
        # Connection refused, server gone, SQLite busy: the client may retry; a bug is a 500.
        log.error("store unavailable: %s", (str(exc).strip().splitlines() or ["?"])[0])
        return JSONResponse(
            status_code=503,
            content=error_body("store_unavailable", "the store is unavailable; retry later"),
            headers={"Retry-After": "1"},
        )

    for kind in STORE_UNAVAILABLE:
        app.add_exception_handler(kind, _store_unavailable)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        headers = getattr(exc, "headers", None)
        return JSONResponse(
            status_code=exc.status_code,
            content=error_body(code.get(exc.status_code, "http_error"), str(exc.detail)),
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            status_code=500, content=error_body("internal_error", "internal error; see server log")
        )

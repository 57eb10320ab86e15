"""One place that turns errors into JSON of the shape :class:`api.schemas.ErrorOut`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fraud.errors import FraudError
from fraud.schema import error_location, safe_error_message

log = logging.getLogger(__name__)


def _reason(err: dict) -> str:
    if err.get("type") == "json_invalid":
        return f"malformed JSON: {err.get('ctx', {}).get('error', 'cannot be parsed')}"
    return safe_error_message(err)


def error_body(code: str, message: str, fields: list[dict] | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or []}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo the input back: it may be a megabyte of attacker-chosen text.
        fields = [{"field": error_location(e), "reason": _reason(e)} for e in exc.errors()]
        first = fields[0] if fields else {"field": "body", "reason": "invalid"}
        message = f"{first['field']}: {first['reason']}"
        return JSONResponse(status_code=422, content=error_body("invalid_input", message, fields))

    @app.exception_handler(FraudError)
    async def _fraud(_: Request, exc: FraudError) -> JSONResponse:
        if exc.status >= 500:
            log.error("%s: %s", exc.code, exc.message)
        return JSONResponse(status_code=exc.status, content=error_body(exc.code, exc.message))

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

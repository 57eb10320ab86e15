"""One place that turns errors into JSON of the shape :class:`api.schemas.ErrorOut`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fraud.errors import FraudError

log = logging.getLogger(__name__)

_MAX_INPUT_ECHO = 80


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def _reason(err: dict) -> str:
    msg = err.get("msg", "invalid")
    if err.get("type") == "json_invalid":
        ctx = err.get("ctx", {})
        return f"malformed JSON: {ctx.get('error', msg)}"
    return msg


def error_body(code: str, message: str, fields: list[dict] | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or []}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo the input back: it may be a megabyte of attacker-chosen text.
        fields = [
            {"field": _field_path(tuple(e["loc"])), "reason": _reason(e)} for e in exc.errors()
        ]
        first = fields[0] if fields else {"field": "body", "reason": "invalid"}
        message = f"{first['field']}: {first['reason']}"[: _MAX_INPUT_ECHO * 4]
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

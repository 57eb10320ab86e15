"""How ``fraud serve`` logs: UTC timestamps and the request id on every line, no query
strings in the access log, no exception messages.

An incident is lined up across hosts by time, so every line starts with an ISO 8601 UTC
timestamp, and a request's lines share its id (``X-Request-ID``). A client may put an API
key (or any order data) in a query string; the access log writes the path only, so
nothing a caller sends in the URL ends up on disk. An exception's message may quote the
order it failed on (an e-mail address, a name): tracebacks name the exception's type and
where it was raised, never its message. ``FRAUD_LOG_FORMAT=json`` writes one JSON object
a line instead of text.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from uvicorn.logging import AccessFormatter, DefaultFormatter

from fraud.monitoring.request_id import current_request_id

LINE_FORMAT = "%(asctime)s %(levelprefix)s [%(request_id)s] %(name)s: %(message)s"
ACCESS_FORMAT = (
    '%(asctime)s %(levelprefix)s [%(request_id)s] %(client_addr)s - "%(request_line)s" '
    "%(status_code)s"
)
JSON_FIELDS = ("time", "level", "logger", "request_id", "message")
NO_REQUEST = "-"
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
# uvicorn.access passes (client_addr, method, full_path, http_version, status_code).
_ACCESS_PATH_ARG = 2


def utc_timestamp(created: float) -> str:
    """``2026-12-02T05:50:01.234Z``: ISO 8601, UTC, milliseconds."""
    moment = datetime.fromtimestamp(created, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def exception_without_message(exc_info: ExcInfo) -> str:
    """A traceback (chained exceptions included) with every exception's message left out."""
    exc = exc_info[1]
    chain: list[BaseException] = []
    while exc is not None and all(exc is not seen for seen in chain):
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    parts: list[str] = []
    for i, link in enumerate(reversed(chain)):
        if i:
            parts.append("\nwhich led to:\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(link.__traceback__))
        kind = type(link)
        parts.append(f"{kind.__module__}.{kind.__qualname__}: (message not logged)\n")
    return "".join(parts).rstrip("\n")


class RequestIdFilter(logging.Filter):
    """Put the id of the request being served (``-`` outside one) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or NO_REQUEST
        return True


class UtcFormatter(DefaultFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return utc_timestamp(record.created)

    def formatException(self, ei: Any) -> str:  # noqa: N802
        return exception_without_message(ei)

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may have cached the full traceback, message included, on the record.
        cached, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached


class UtcAccessFormatter(AccessFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return utc_timestamp(record.created)


class JsonLineFormatter(JsonFormatter):
    """One JSON object a line: time (UTC), level, logger, request_id, message, and for the
    access log method, path and status."""

    def __init__(self) -> None:
        super().__init__(
            list(JSON_FIELDS),
            # uvicorn's coloured copy of the message, and request_id, set by the filter
            reserved_attrs=[*logging.LogRecord("", 0, "", 0, "", None, None).__dict__,
                            "color_message", "request_id", "message", "asctime"],
        )

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record["time"] = utc_timestamp(record.created)
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["request_id"] = getattr(record, "request_id", NO_REQUEST)
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            _client, method, path, _version, status = (*record.args, None, None, None)[:5]
            log_record.update(method=method, path=path, status=status)
            log_record["message"] = f"{method} {path} {status}"

    def formatException(self, ei: Any) -> str:  # noqa: N802
        return exception_without_message(ei)


def path_without_query(full_path: str) -> str:
    return full_path.split("?", 1)[0]


class DropQueryString(logging.Filter):
    """Rewrite an access record so it names the path, never the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _ACCESS_PATH_ARG:
            path = args[_ACCESS_PATH_ARG]
            if isinstance(path, str) and "?" in path:
                record.args = (
                    *args[:_ACCESS_PATH_ARG],
                    path_without_query(path),
                    *args[_ACCESS_PATH_ARG + 1 :],
                )
        return True


def log_config(level: str = "INFO", fmt: str = "text") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and the service's own loggers;
    ``fmt`` is ``text`` or ``json`` (``FRAUD_LOG_FORMAT``)."""
    if fmt == "json":
        formatters: dict[str, Any] = {
            "default": {"()": JsonLineFormatter},
            "access": {"()": JsonLineFormatter},
        }
    else:
        formatters = {
            "default": {"()": UtcFormatter, "fmt": LINE_FORMAT, "use_colors": False},
            "access": {"()": UtcAccessFormatter, "fmt": ACCESS_FORMAT, "use_colors": False},
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"drop_query": {"()": DropQueryString}, "request_id": {"()": RequestIdFilter}},
        "formatters": formatters,
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "filters": ["drop_query", "request_id"],
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "": {"handlers": ["default"], "level": level},
            "uvicorn": {"level": level},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
    }

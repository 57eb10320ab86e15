"""How ``fraud serve`` logs: UTC timestamps on every line, no query strings in the access log.

An incident is lined up across hosts by time, so every line starts with an ISO 8601 UTC
timestamp. A client may put an API key (or any order data) in a query string; the access
log writes the path only, so nothing a caller sends in the URL ends up on disk.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from uvicorn.logging import AccessFormatter, DefaultFormatter

LINE_FORMAT = "%(asctime)s %(levelprefix)s %(name)s: %(message)s"
ACCESS_FORMAT = '%(asctime)s %(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'
# uvicorn.access passes (client_addr, method, full_path, http_version, status_code).
_ACCESS_PATH_ARG = 2


def utc_timestamp(created: float) -> str:
    """``2026-12-02T05:50:01.234Z``: ISO 8601, UTC, milliseconds."""
    moment = datetime.fromtimestamp(created, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UtcFormatter(DefaultFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return utc_timestamp(record.created)


class UtcAccessFormatter(AccessFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return utc_timestamp(record.created)


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


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and the service's own loggers."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"drop_query": {"()": DropQueryString}},
        "formatters": {
            "default": {"()": UtcFormatter, "fmt": LINE_FORMAT, "use_colors": False},
            "access": {"()": UtcAccessFormatter, "fmt": ACCESS_FORMAT, "use_colors": False},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "filters": ["drop_query"],
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

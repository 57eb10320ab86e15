"""The id of the request being served, for every log line written while serving it.

The API's middleware sets it (from a sane ``X-Request-ID`` header, else a new one);
the log formatters read it. It lives here, below both, in a context variable: each
request runs in its own task, so concurrent requests never see each other's id.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# What a proxy or load balancer typically sends (UUIDs, hex, AWS trace ids). Anything
# else (too long, spaces, quotes, control characters) could forge log lines: replaced.
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+-]{0,127}")

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The caller's id when it is sane, else a new one."""
    if header is not None and SANE.fullmatch(header):
        return header
    return new_request_id()

"""Time zones: every instant the library keeps is timezone-aware and in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from fraud.errors import InvalidInput


def utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive times are refused, never guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"time {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)

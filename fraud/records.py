"""Records read from a person's files (orders, outcome events), each with its line number.

One bad record gives one message naming the file, the line and what is wrong
(:class:`BadRecord`), or, when the caller asks to skip bad records, is left
out and counted (:class:`Loaded`). Never a traceback.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from fraud.domain import Outcome
from fraud.errors import InvalidInput
from fraud.schema import Order, describe_validation_error

T = TypeVar("T")

Numbered = tuple[int, Mapping[str, Any] | None, str | None]
"""(line number, decoded record or ``None``, what is wrong or ``None``)."""


class BadRecord(InvalidInput):
    """A record in an input file that cannot be read; the message names file and line."""

    code = "bad_record"


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """The good records of a file, and a message for each bad one that was skipped."""

    items: list[T]
    skipped: list[str] = field(default_factory=list)


def check_file(path: str | Path) -> Path:
    """``path`` if it names a readable file; otherwise a :class:`BadRecord` saying why."""
    path = Path(path)
    if not path.exists():
        raise BadRecord(f"{path}: no such file")
    if path.is_dir():
        raise BadRecord(f"{path}: is a directory, expected a file")
    return path


def numbered_records(
    path: str | Path, read_table: Callable[[Path], Iterator[Mapping[str, Any]]] | None = None
) -> Iterator[Numbered]:
    """Every record of a JSONL (.gz ok), CSV or Parquet file with its line number.

    JSON lines count from 1 (blank lines are skipped but counted); a CSV's
    first data row is line 2, after the header; a Parquet row's "line" is its
    row number from 1. ``read_table`` reads CSV and Parquet files (default:
    orders, :func:`fraud.simulate.read_orders`).
    """
    from fraud.simulate.io import detect_format, open_binary, read_orders

    path = check_file(path)
    fmt = detect_format(path)
    if fmt != "jsonl":
        first = 2 if fmt == "csv" else 1
        try:
            rows = list((read_table or read_orders)(path))
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise BadRecord(f"{path}: cannot be read as {fmt}: {exc}") from None
        for i, row in enumerate(rows):
            yield i + first, row, None
        return
    with open_binary(path, "r") as fh:
        try:
            for lineno, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8"), start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield lineno, None, f"malformed JSON: {exc.msg} at column {exc.colno}"
                    continue
                if not isinstance(obj, dict):
                    yield lineno, None, f"expected a JSON object, got {type(obj).__name__}"
                    continue
                yield lineno, obj, None
        except (UnicodeDecodeError, OSError, EOFError) as exc:  # e.g. a truncated .gz
            raise BadRecord(f"{path}: cannot be read: {exc}") from None


def load_records(
    path: str | Path,
    parse: Callable[[Mapping[str, Any]], T],
    *,
    skip_bad: bool = False,
    read_table: Callable[[Path], Iterator[Mapping[str, Any]]] | None = None,
) -> Loaded[T]:
    """``parse`` applied to every record of ``path``.

    A record that cannot be decoded or parsed raises :class:`BadRecord`
    ("FILE:LINE: what is wrong"), or with ``skip_bad`` is left out and its
    message kept in :attr:`Loaded.skipped`.
    """
    items: list[T] = []
    skipped: list[str] = []
    for lineno, record, error in numbered_records(path, read_table):
        if error is None:
            try:
                items.append(parse(record))  # type: ignore[arg-type]
                continue
            except ValidationError as exc:
                error = describe_validation_error(exc)
            except (KeyError, TypeError, ValueError) as exc:
                error = _describe(exc)
        message = f"{path}:{lineno}: {error}"
        if not skip_bad:
            raise BadRecord(message)
        skipped.append(message)
    return Loaded(items, skipped)


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc)


def parse_order_record(record: Mapping[str, Any]) -> Order:
    """An order from a decoded record (JSON mode: the strict model reads text times then)."""
    return Order.model_validate_json(json.dumps(record, default=str))


@dataclass(frozen=True)
class OutcomeRecord:
    order_id: str
    outcome: Outcome
    at: datetime


def parse_outcome_record(record: Mapping[str, Any]) -> OutcomeRecord:
    """An outcome event ``{order_id, outcome, at}`` (``at`` an ISO 8601 time)."""
    at = record["at"]
    try:
        when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    except ValueError:
        raise ValueError(f"'at' {at!r} is not an ISO 8601 time") from None
    try:
        outcome = Outcome(record["outcome"])
    except ValueError:
        allowed = ", ".join(o.value for o in Outcome)
        raise ValueError(f"unknown outcome {record['outcome']!r}; allowed: {allowed}") from None
    return OutcomeRecord(str(record["order_id"]), outcome, when)

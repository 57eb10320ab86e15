"""What every command shares: one way to fail, to read a file, to open the store."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import typer

from fraud.settings import Settings, get_settings


def fail(message: str, code: int = 1) -> typer.Exit:
    """One line on stderr and the exit code; ``raise fail(...)`` ends the command."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def settings_or_exit() -> Settings:
    """The settings, or one line naming what is wrong with them and exit code 2."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        raise fail(f"invalid settings: {describe_settings_error(exc)}", 2) from None


def describe_settings_error(exc: Exception) -> str:
    """Each problem as ``FRAUD_NAME: reason``, on one line."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    parts = []
    for error in exc.errors():
        where = "FRAUD_" + "_".join(str(p) for p in error["loc"]).upper() if error["loc"] else ""
        reason = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {reason}" if where else reason)
    return "; ".join(parts)


def existing_file(path: Path | None, what: str = "file") -> Path | None:
    """``path`` if it is a readable file; otherwise one clear error (exit code 2)."""
    if path is None:
        return None
    if not path.exists():
        raise fail(f"{what} {path}: no such file", 2)
    if path.is_dir():
        raise fail(f"{what} {path}: is a directory, expected a file", 2)
    return path


def open_text(path: str) -> IO[str]:
    """A text stream for ``path`` (``-`` is stdin, ``.gz`` is decompressed)."""
    if path == "-":
        return sys.stdin
    p = existing_file(Path(path))
    assert p is not None
    if p.suffix == ".gz":
        return gzip.open(p, "rt", encoding="utf-8")
    return p.open(encoding="utf-8")


def iter_json_lines(stream: IO[str], source: str) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, object or None, error or None) for every non-blank line."""
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield (
                lineno,
                None,
                f"{source}:{lineno}: malformed JSON: {exc.msg} at column {exc.colno}",
            )
            continue
        if not isinstance(obj, dict):
            yield (
                lineno,
                None,
                f"{source}:{lineno}: expected a JSON object, got {type(obj).__name__}",
            )
            continue
        yield lineno, obj, None


def prepare_data_dir(settings: Settings) -> None:
    if settings.resolved_database_url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)


def open_session(settings: Settings):  # noqa: ANN201 - a Session, a context manager
    """A session on the store, migrated to the latest schema first."""
    from sqlalchemy.orm import Session

    from fraud.store.db import make_engine, upgrade_database

    prepare_data_dir(settings)
    upgrade_database(settings.resolved_database_url)
    return Session(make_engine(settings.resolved_database_url), expire_on_commit=False)


@contextmanager
def progress_bar(what: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr while the block runs; yields ``advance(n)``.

    Drawn only on a terminal: piped or in a test, stderr gets the command's own
    summary of what was done instead.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    if not console.is_terminal:
        yield _no_progress
        return
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(what, total=total)

        def advance(n: int = 1) -> None:
            progress.advance(task, n)

        yield advance


def _no_progress(n: int = 1) -> None:
    """``advance`` when there is no bar to draw."""


def note(message: str) -> None:
    """What was done, on stderr (stdout stays for the command's data)."""
    typer.echo(message, err=True)

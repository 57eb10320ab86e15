"""``fraud score``: decisions for a file of orders."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from fraud.cli.common import (
    fail,
    iter_json_lines,
    note,
    open_text,
    progress_bar,
    settings_or_exit,
)


def score(
    file: Annotated[str, typer.Argument(help="JSONL file of orders (.gz ok), or - for stdin")],
    store: Annotated[
        bool,
        typer.Option(
            help="Store orders and decisions (as the API does); "
            "--no-store scores against in-memory history only"
        ),
    ] = True,
    skip_signal: Annotated[
        list[str] | None,
        typer.Option(
            help="A signal the source data cannot support (repeatable; needs --no-store), "
            "e.g. the skip_signals listed in an import's source.json"
        ),
    ] = None,
    outcomes: Annotated[
        Path | None,
        typer.Option(
            help="Outcome events (order_id, outcome, at; JSONL or CSV) reported beside the "
            "orders: each counts in history from its own time on, as if reported to the service"
        ),
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option(
            help="Account events (logins and account changes, JSONL as POST /v1/events takes "
            "them) beside the orders: each counts in history from its own time on, as if "
            "posted to the service"
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes scoring with --no-store (0: every core); a file out of time "
            "order or with a repeated order id is scored by one"
        ),
    ] = 0,
) -> None:
    """Score orders, printing one decision (JSON) per line. Bad lines are reported with their
    line number on stderr and skipped; the exit code is 1 if any line was bad."""
    from fraud.batch import score_stream
    from fraud.parallel_batch import score_parallel
    from fraud.signals import registered_signals

    settings = settings_or_exit()
    skip = skip_signal or []
    if skip and store:
        raise fail("--skip-signal needs --no-store: the service's store holds full orders only")
    unknown = sorted(set(skip) - {s.name for s in registered_signals()})
    if unknown:
        known = ", ".join(s.name for s in registered_signals())
        raise fail(f"unknown signal {', '.join(unknown)}; known: {known}")
    reported = _outcome_events(outcomes)
    posted = _account_events(events)
    bad = scored = 0
    began = time.monotonic()
    with open_text(file) as stream, progress_bar("orders scored") as advance:
        lines = iter_json_lines(stream, file)
        decisions = (
            score_stream(lines, settings, store=True, source=file, outcomes=reported,
                         events=posted)
            if store
            else score_parallel(lines, settings, workers=workers or None, skip=skip,
                                source=file, outcomes=reported, events=posted)
        )
        for out, error in decisions:
            if error is not None:
                bad += 1
                typer.echo(error, err=True)
            else:
                scored += 1
                typer.echo(json.dumps(out, ensure_ascii=False))
            advance(1)
    where = f"stored in {settings.resolved_database_url}" if store else "not stored (--no-store)"
    with_events = "" if posted is None else f" with {len(posted):,} account events from {events}"
    note(f"scored {scored:,} orders from {file}{with_events} in "
         f"{time.monotonic() - began:.1f} s: decisions on stdout, {where}"
         + (f"; {bad:,} bad lines skipped" if bad else ""))
    if bad:
        raise typer.Exit(1)


def _outcome_events(path: Path | None) -> list:
    if path is None:
        return []
    from fraud.batch import read_outcome_events
    from fraud.errors import FraudError

    if not path.exists():
        raise fail(f"{path}: no such file")
    try:
        return read_outcome_events(path)
    except FraudError as exc:
        raise fail(exc.message) from None


def _account_events(path: Path | None) -> list | None:
    if path is None:
        return None
    from fraud.errors import FraudError
    from fraud.events.files import read_event_file

    if not path.exists():
        raise fail(f"{path}: no such file")
    try:
        return read_event_file(path)
    except FraudError as exc:
        raise fail(exc.message) from None

"""``fraud events score``: decisions for a file of account events, as the service gives them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from fraud.cli.common import fail, iter_json_lines, note, open_text, progress_bar, settings_or_exit

app = typer.Typer(help="Account events (logins, account changes): score a file of them.",
                  no_args_is_help=True)


@app.command("score")
def score(
    file: Annotated[str, typer.Argument(help="JSONL file of account events (.gz ok), or -")],
    rules_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of event rules (<type>.yaml); default FRAUD_EVENT_RULES_DIR "
                     "or the bundled ones"),
    ] = None,
) -> None:
    """Score account events, printing one decision (JSON) per line in time order, as
    POST /v1/events answers them: each event sees only the file's events before its own
    time, with the decisions they got. Nothing is
    stored; orders are not read, so linked fraud counts none. Bad lines are reported with
    their line number on stderr and skipped; the exit code is 1 if any line was bad."""
    from fraud.errors import FraudError
    from fraud.events.batch import decision_dict, read_events, score_events
    from fraud.events.rules import load_event_rules
    from fraud.history import MemoryHistory
    from fraud.runtime import load_geo
    from fraud.scoring import thresholds_from

    settings = settings_or_exit()
    try:
        rules = load_event_rules(rules_dir or settings.event_rules_dir)
    except FraudError as exc:
        raise fail(exc.message, 2) from None
    problems: dict[str, str] = {}
    geo = load_geo(settings, problems)
    if problems:
        note("; ".join(f"{k} unavailable: {v}" for k, v in problems.items()))
    began = time.monotonic()
    with open_text(file) as stream:
        events, errors = read_events(iter_json_lines(stream, file), geo, file)
    for error in errors:
        typer.echo(error, err=True)
    with progress_bar("events scored", len(events)) as advance:
        for event, scored in score_events(
            events, rules, thresholds_from(settings), geo_available=geo is not None,
            history=MemoryHistory(), max_reasons=settings.max_reasons,
        ):
            typer.echo(json.dumps(decision_dict(event, scored), ensure_ascii=False))
            advance(1)
    note(f"scored {len(events):,} events from {file} in {time.monotonic() - began:.1f} s: "
         "decisions on stdout, nothing stored"
         + (f"; {len(errors):,} bad lines skipped" if errors else ""))
    if errors:
        raise typer.Exit(1)


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Event rules file (<type>.yaml) or a folder")],
) -> None:
    """Validate an event rules file against the event features; print its version and
    rules, or the rule, line and reason."""
    from fraud.errors import FraudError
    from fraud.events.rules import load_event_rules

    if file.is_dir():
        try:
            found = load_event_rules(file)
        except FraudError as exc:
            raise fail(exc.message) from None
        for event_type, ruleset in found.items():
            typer.echo(f"{file}/{event_type.value}.yaml: OK, version {ruleset.version}, "
                       f"{len(ruleset.rules)} rules")
        return
    from fraud.events.login import EVENT_CATALOGUE
    from fraud.rules import load_rules

    try:
        ruleset = load_rules(file, EVENT_CATALOGUE)
    except FraudError as exc:
        raise fail(exc.message) from None
    typer.echo(f"{file}: OK, version {ruleset.version}, {len(ruleset.rules)} rules")

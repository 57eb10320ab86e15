"""``fraud rules check | backtest | shadow-report``: thin commands over
:mod:`fraud.rules` and :mod:`fraud.replay` (formatting: :mod:`fraud.replay.text`)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from fraud.cli.common import existing_file, fail, prepare_data_dir, settings_or_exit
from fraud.errors import FraudError

app = typer.Typer(help="Check and test rules files.", no_args_is_help=True)


@app.command("check")
def rules_check(file: Annotated[Path, typer.Argument(help="Rules YAML file")]) -> None:
    """Load and validate a rules file; print its version and rules, or the line and reason."""
    from fraud.rules import check_rules_file

    try:
        ruleset = check_rules_file(file)
    except FraudError as exc:
        raise fail(exc.message) from None
    except OSError as exc:
        raise fail(f"{file}: {exc.strerror}") from None
    typer.echo(f"{file}: OK, version {ruleset.version}, {len(ruleset.rules)} rules")


def _moment(text: str | None, what: str) -> datetime | None:
    """An ISO date or time; a date or a time without zone is read as UTC."""
    if text is None:
        return None
    import pandas as pd

    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise fail(f"{what} {text!r} is not an ISO date or time (e.g. 2025-11-30)") from None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.to_pydatetime()


@app.command("backtest")
def backtest_command(
    rules: Annotated[Path, typer.Option(help="The candidate rules YAML file.")],
    against: Annotated[Path | None, typer.Option(
        help="Rules to compare with (default: the configured rules, FRAUD_RULES_PATH).")] = None,
    orders: Annotated[Path | None, typer.Option(
        help="Orders file: JSONL (.gz ok), Parquet or CSV.")] = None,
    outcomes: Annotated[Path | None, typer.Option(
        help="Outcome events (JSONL .gz ok, or CSV): history for features, and labels.")] = None,
    events: Annotated[Path | None, typer.Option(
        help="Account events (logins and account changes; JSONL .gz ok) beside the orders: "
             "history for the account event features.")] = None,
    truth: Annotated[Path | None, typer.Option(
        help="Ground-truth CSV (order_id, is_fraud): labels from it instead of outcomes.")] = None,
    from_store: Annotated[bool, typer.Option(
        "--from-store", help="Replay the stored orders and outcomes instead of files.")] = False,
    since: Annotated[str | None, typer.Option(
        help="With --from-store: only orders created at or after this date/time.")] = None,
    until: Annotated[str | None, typer.Option(
        help="With --from-store: only orders created before this date/time.")] = None,
    cutoff: Annotated[str | None, typer.Option(
        help="Count chargebacks/confirmed fraud reported by this date/time "
             "(default: every outcome known).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Also write the result: .json (everything) or .csv (rules; summary and "
             "changed orders beside it).")] = None,
    show: Annotated[int, typer.Option(help="How many changed orders to list.")] = 20,
    with_model: Annotated[bool, typer.Option(
        "--with-model", help="Add the current model's probability (FRAUD_MODEL_DIR, "
        "FRAUD_MODEL_VERSION) to both sets' scores, as live scoring does.")] = False,
    cache: Annotated[Path | None, typer.Option(
        help="Keep the computed features in this file and reuse them while the orders, "
             "outcomes, feature code and settings are unchanged (files only).")] = None,
    jobs: Annotated[int, typer.Option(
        help="Processes computing features (default: one per CPU, at most 4).")] = 0,
) -> None:
    """Backtest a rules file against the current rules on labelled orders: per-rule hits,
    precision and recall, review and decline rates, and the orders that change action."""
    from fraud.records import BadRecord
    from fraud.replay import backtest, labels_for, replay_store
    from fraud.replay.text import format_backtest
    from fraud.rules import load_rules
    from fraud.simulate import read_truth

    if (orders is None) == (not from_store):
        raise fail("give either --orders FILE or --from-store")
    settings = settings_or_exit()
    n_jobs = jobs if jobs > 0 else min(os.cpu_count() or 1, 4)
    try:
        candidate = load_rules(existing_file(rules, "rules"))
        current = load_rules(existing_file(against, "rules") or settings.rules_path)
        truth_frame = read_truth(truth) if truth and existing_file(truth, "truth") else None
        model = _current_model(settings) if with_model else None
        if from_store:
            replay = _replay_from_store(settings, _moment(since, "--since"),
                                        _moment(until, "--until"), replay_store, n_jobs, model)
        else:
            replay = _replay_files_cached(existing_file(orders, "orders"),
                                          existing_file(outcomes, "outcomes"), settings, n_jobs,
                                          cache, model, existing_file(events, "events"))
        if len(replay) == 0:
            raise fail("no orders to replay")
        labels = labels_for(replay, _moment(cutoff, "--cutoff"), truth_frame)
        result = backtest(replay, candidate, current, labels=labels, settings=settings)
    except BadRecord as exc:
        raise fail(exc.message, 2) from None
    except FraudError as exc:
        raise fail(exc.message) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(format_backtest(result, show))
    if out is not None:
        try:
            written = result.write(out)
        except ValueError as exc:
            raise fail(str(exc)) from None
        typer.echo(f"\nwritten: {', '.join(str(p) for p in written)}")


def _current_model(settings: Any) -> Any:
    """The model the service would serve; refuses to go on without one."""
    from fraud.model.registry import ModelRegistry

    model = ModelRegistry(settings.model_dir).load(settings.model_version)
    if model is None:
        raise fail(f"--with-model: no current model in {settings.model_dir}")
    return model


def _replay_files_cached(
    orders: Any, outcomes: Any, settings: Any, n_jobs: int, cache: Path | None, model: Any,
    events: Path | None = None,
) -> Any:
    from fraud.model.scorer import RULES_ONLY
    from fraud.replay import load_replay, replay_files, replay_fingerprint, save_replay

    if cache is None:
        return replay_files(orders, outcomes, settings=settings, n_jobs=n_jobs, model=model,
                            events_path=events)
    fingerprint = replay_fingerprint([p for p in (orders, outcomes, events) if p], settings,
                                     model.version if model is not None else RULES_ONLY)
    replay = load_replay(cache, fingerprint)
    if replay is not None:
        typer.echo(f"features from {cache}", err=True)
        return replay
    replay = replay_files(orders, outcomes, settings=settings, n_jobs=n_jobs, model=model,
                          events_path=events)
    save_replay(replay, cache, fingerprint)
    return replay


def _replay_from_store(
    settings: Any, since: Any, until: Any, replay_store: Any, n_jobs: int, model: Any
) -> Any:
    from sqlalchemy.orm import Session

    from fraud.store.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            return replay_store(session, since, until, settings=settings, n_jobs=n_jobs,
                                model=model)
    finally:
        engine.dispose()


@app.command("shadow-report")
def shadow_report_command(
    since: Annotated[str | None, typer.Option(
        help="Only shadow decisions made at or after this date/time (default: all).")] = None,
    rules_version: Annotated[str | None, typer.Option(
        help="Only this candidate rules version.")] = None,
    show: Annotated[int, typer.Option(help="How many disagreeing orders to list.")] = 20,
) -> None:
    """Compare shadow (candidate) decisions with the live ones: rates, agreement,
    known fraud caught, and the orders they disagree on."""
    from sqlalchemy.orm import Session

    from fraud.replay.text import format_shadow_report
    from fraud.store.db import make_engine, upgrade_database
    from fraud.store.shadow import shadow_report

    settings = settings_or_exit()
    prepare_data_dir(settings)
    url = settings.resolved_database_url
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = shadow_report(session, _moment(since, "--since"),
                                   rules_version=rules_version)
    finally:
        engine.dispose()
    typer.echo(format_shadow_report(report, show))

"""``fraud train`` and ``fraud evaluate``: thin commands; the work is in ``fraud.model``."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from fraud.cli.common import existing_file, fail, note, progress_bar, settings_or_exit
from fraud.settings import Settings


def _time(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(
            f"{what} {text!r} is not an ISO 8601 time (e.g. 2025-11-30T00:00:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        raise fail(f"{what} {text!r} has no UTC offset; add one, e.g. +01:00")
    return moment


def _load(
    settings: Settings, orders: Path | None, outcomes: Path | None, from_store: bool,
    source: str | None, skip_bad: bool = False, events: Path | None = None,
) -> Any:
    from fraud.model.dataset import load_files, load_store
    from fraud.records import BadRecord

    if from_store == (orders is not None):
        raise fail("give either --orders FILE (with --outcomes FILE) or --from-store")
    if orders is not None:
        existing_file(orders, "orders")
        existing_file(outcomes, "outcomes")
        existing_file(events, "events")
        try:
            raw = load_files(orders, outcomes, source=source, skip_bad=skip_bad,
                             events_path=events)
        except BadRecord as exc:
            raise fail(f"{exc.message} (--skip-bad leaves bad records out)", 2) from None
        for message in raw.skipped[:5]:
            note(f"skipped {message}")
        if raw.skipped:
            note(f"skipped {len(raw.skipped)} bad records")
        note(f"read {len(raw.orders):,} orders and {len(raw.outcomes):,} outcome events "
             f"from {orders}" + (f" and {outcomes}" if outcomes else ""))
        if raw.account_events is not None:
            note(f"read {len(raw.account_events):,} account events from {events}")
        return raw
    from sqlalchemy.orm import Session

    from fraud.store.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            raw = load_store(session, source=source or "store")
    finally:
        engine.dispose()
    note(f"read {len(raw.orders):,} orders and {len(raw.outcomes):,} outcome events "
         f"from {settings.resolved_database_url}")
    return raw


def _truth(path: Path | None) -> Any:
    truth = existing_file(path, "truth")
    if truth is None:
        return None
    from fraud.simulate import read_truth

    return read_truth(truth)


OrdersOpt = Annotated[
    Path | None, typer.Option(help="Orders file: JSONL (.gz ok), Parquet or CSV")
]
OutcomesOpt = Annotated[
    Path | None, typer.Option(help="Outcome events file (order_id, outcome, at): JSONL or CSV")
]
EventsOpt = Annotated[
    Path | None, typer.Option(help="Account events file (logins and account changes, JSONL "
                              "as POST /v1/events takes them): history for the account event "
                              "features; without it they stay empty")
]
TruthOpt = Annotated[
    Path | None,
    typer.Option(help="Ground truth CSV with a 'pattern' column (simulator): adds per-pattern "
                 "recall; never used for training"),
]
StoreOpt = Annotated[
    bool, typer.Option("--from-store", help="Read orders and outcomes from the store")
]
SkipBadOpt = Annotated[
    bool,
    typer.Option("--skip-bad", help="Leave out records that cannot be read (counted on "
                 "stderr) instead of stopping at the first"),
]


def train_command(
    orders: OrdersOpt = None,
    outcomes: OutcomesOpt = None,
    events: EventsOpt = None,
    truth: TruthOpt = None,
    from_store: StoreOpt = False,
    cutoff: Annotated[
        str | None,
        typer.Option(help="Labels are what was known at this time (ISO 8601 with offset); "
                     "default: the latest order or outcome in the data"),
    ] = None,
    maturity_days: Annotated[
        float, typer.Option(help="An order this much older than the cut-off with no "
                            "chargeback counts as good")
    ] = 60.0,
    gap_days: Annotated[
        float | None, typer.Option(help="Days skipped between training and validation (label "
                                   "delay); default: 7, or a tenth of the matured days when "
                                   "fewer than 112 have matured")
    ] = None,
    valid_days: Annotated[
        float | None, typer.Option(help="Days of orders used to validate: the latest whose "
                                   "labels have matured at the cut-off; default: 21, or a "
                                   "quarter of the matured days when fewer than 112 have "
                                   "matured")
    ] = None,
    recent_labels: Annotated[
        bool, typer.Option(help="Also learn from orders after the validation window, whose "
                           "labels are young: known fraud fully, silence as good weighed by "
                           "age")
    ] = True,
    out_dir: Annotated[
        Path | None, typer.Option(help="Model folder (default: FRAUD_MODEL_DIR)")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Data label in the version (default: from the file name)")
    ] = None,
    promote: Annotated[
        bool, typer.Option(help="Make the new model the one the service uses (CURRENT)")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="Also write the evaluation report into this folder")
    ] = None,
    skip_bad: SkipBadOpt = False,
) -> None:
    """Train a model on labelled orders (split by time), evaluate it against the rules and a
    logistic regression, and save it with its model card under <model dir>/<version>/."""
    from fraud.model.evaluate import Costs
    from fraud.model.registry import ModelRegistry
    from fraud.model.report import summary_text, write_report
    from fraud.model.train import TrainConfig, split_explanation, train

    settings = settings_or_exit()
    raw = _load(settings, orders, outcomes, from_store, source, skip_bad, events)
    config = TrainConfig(cutoff=_time(cutoff, "--cutoff"), maturity=timedelta(days=maturity_days),
                         gap_days=gap_days, valid_days=valid_days, recent_labels=recent_labels)
    registry = ModelRegistry(out_dir if out_dir is not None else settings.model_dir)
    before = registry.current_version()
    try:
        with progress_bar("features", len(raw.orders)) as advance:
            result = train(raw, settings, config, out_dir=out_dir, truth=_truth(truth),
                           progress=advance)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if promote:  # as `fraud models promote` does: recorded in the evidence chain
        from fraud.cli.common import open_session
        from fraud.errors import FraudError
        from fraud.model import changes

        try:
            with open_session(settings) as session:
                changes.promote(session, registry, result.version, "cli:fraud train --promote")
        except FraudError as exc:
            raise fail(f"trained {result.version} but not promoted: {exc.message}") from None
    typer.echo(split_explanation(result))
    typer.echo(summary_text(result.evaluation.metrics))
    if report is not None:
        write_report(result.evaluation, report, Costs.from_settings(settings),
                     title=f"Fraud model {result.version}", context={"model": result.version})
        typer.echo(f"report: {report / 'report.html'}")
    typer.echo(f"model: {result.path} (model.txt, card.json, card.md)")
    if promote:
        was = f"was {before}" if before else "before: none, the rules alone decided"
        typer.echo(f"changed {registry.current_path}: now {result.version} ({was})")
    else:
        typer.echo(f"{registry.current_path} unchanged ({before or 'none'}); "
                   f"serve this one with: fraud models promote {result.version}")
    typer.echo(result.version)


def _model_folder(settings: Settings, model: str | None) -> Path:
    if model is None:
        current = settings.model_dir / "CURRENT"
        if settings.model_version:
            model = settings.model_version
        elif current.exists():
            model = current.read_text(encoding="utf-8").strip()
        else:
            raise fail(f"no model given and no {current}")
    path = Path(model)
    folder = path if (path / "model.txt").exists() else settings.model_dir / model
    if not (folder / "model.txt").exists():
        raise fail(f"no model {model!r} (looked for {folder / 'model.txt'})")
    return folder


def evaluate_command(
    model: Annotated[
        str | None,
        typer.Argument(help="Model version or folder (default: the one CURRENT names)"),
    ] = None,
    orders: OrdersOpt = None,
    outcomes: OutcomesOpt = None,
    events: EventsOpt = None,
    truth: TruthOpt = None,
    from_store: StoreOpt = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Report folder (default: reports/<version>)"),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Evaluate orders from this time on (default: the model's "
                     "validation start, so no training order counts)"),
    ] = None,
    cutoff: Annotated[
        str | None, typer.Option(help="Labels as of this time (default: latest event)")
    ] = None,
    skip_bad: SkipBadOpt = False,
) -> None:
    """Evaluate a saved model against the rules alone and a logistic regression; print the
    figures and save metrics.json, report.html and PNG charts (ROC, PR, calibration, cost)."""
    from fraud.model.evaluate import Costs, evaluate_artifact
    from fraud.model.report import summary_text, write_report

    settings = settings_or_exit()
    folder = _model_folder(settings, model)
    raw = _load(settings, orders, outcomes, from_store, None, skip_bad, events)
    try:
        with progress_bar("features", len(raw.orders)) as advance:
            evaluation, context = evaluate_artifact(
                folder, raw, settings, truth=_truth(truth), since=_time(since, "--since"),
                cutoff=_time(cutoff, "--cutoff"), progress=advance,
            )
    except ValueError as exc:
        raise fail(str(exc)) from None
    target = out or Path("reports") / folder.name
    write_report(evaluation, target, Costs.from_settings(settings),
                 title=f"Fraud model {folder.name}", context=context)
    typer.echo(summary_text(evaluation.metrics))
    typer.echo(f"report: {target / 'report.html'}")

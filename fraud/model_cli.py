"""``fraud train`` and ``fraud evaluate``: plain functions with typer options; the
``fraud`` app (fraud/cli.py) registers them. All the work is in ``fraud.model``."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from fraud.settings import Settings, get_settings


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _time(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(
            f"{what} {text!r} is not an ISO 8601 time (e.g. 2025-11-30T00:00:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        raise _fail(f"{what} {text!r} has no UTC offset; add one, e.g. +01:00")
    return moment


def _load(
    settings: Settings, orders: Path | None, outcomes: Path | None, from_store: bool,
    source: str | None,
) -> Any:
    from fraud.model.dataset import load_files, load_store

    if from_store == (orders is not None):
        raise _fail("give either --orders FILE (with --outcomes FILE) or --from-store")
    if orders is not None:
        for path in (orders, outcomes):
            if path is not None and not path.exists():
                raise _fail(f"{path}: no such file")
        return load_files(orders, outcomes, source=source)
    from sqlalchemy.orm import Session

    from fraud.store.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            return load_store(session, source=source or "store")
    finally:
        engine.dispose()


def _truth(path: Path | None) -> Any:
    if path is None:
        return None
    if not path.exists():
        raise _fail(f"{path}: no such file")
    from fraud.simulate import read_truth

    return read_truth(path)


OrdersOpt = Annotated[
    Path | None, typer.Option(help="Orders file: JSONL (.gz ok), Parquet or CSV")
]
OutcomesOpt = Annotated[
    Path | None, typer.Option(help="Outcome events file (order_id, outcome, at): JSONL or CSV")
]
TruthOpt = Annotated[
    Path | None,
    typer.Option(help="Ground truth CSV with a 'pattern' column (simulator): adds per-pattern "
                 "recall; never used for training"),
]
StoreOpt = Annotated[
    bool, typer.Option("--from-store", help="Read orders and outcomes from the store")
]


def train_command(
    orders: OrdersOpt = None,
    outcomes: OutcomesOpt = None,
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
        float, typer.Option(help="Days skipped between training and validation (label delay)")
    ] = 7.0,
    valid_days: Annotated[
        float, typer.Option(help="Days of orders used to validate: the latest whose labels "
                            "have matured at the cut-off")
    ] = 21.0,
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
) -> None:
    """Train a model on labelled orders (split by time), evaluate it against the rules and a
    logistic regression, and save it with its model card under <model dir>/<version>/."""
    from fraud.model.evaluate import Costs
    from fraud.model.report import summary_text, write_report
    from fraud.model.train import TrainConfig, split_explanation, train

    settings = get_settings()
    raw = _load(settings, orders, outcomes, from_store, source)
    config = TrainConfig(cutoff=_time(cutoff, "--cutoff"), maturity=timedelta(days=maturity_days),
                         gap_days=gap_days, valid_days=valid_days)
    try:
        result = train(raw, settings, config, out_dir=out_dir, truth=_truth(truth),
                       promote_version=promote)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(split_explanation(result))
    typer.echo(summary_text(result.evaluation.metrics))
    if report is not None:
        write_report(result.evaluation, report, Costs.from_settings(settings),
                     title=f"Fraud model {result.version}", context={"model": result.version})
        typer.echo(f"report: {report / 'report.html'}")
    typer.echo(f"model: {result.path}" + (" (promoted)" if promote else ""))
    typer.echo(result.version)


def _model_folder(settings: Settings, model: str | None) -> Path:
    if model is None:
        current = settings.model_dir / "CURRENT"
        if settings.model_version:
            model = settings.model_version
        elif current.exists():
            model = current.read_text(encoding="utf-8").strip()
        else:
            raise _fail(f"no model given and no {current}")
    path = Path(model)
    folder = path if (path / "model.txt").exists() else settings.model_dir / model
    if not (folder / "model.txt").exists():
        raise _fail(f"no model {model!r} (looked for {folder / 'model.txt'})")
    return folder


def evaluate_command(
    model: Annotated[
        str | None,
        typer.Argument(help="Model version or folder (default: the one CURRENT names)"),
    ] = None,
    orders: OrdersOpt = None,
    outcomes: OutcomesOpt = None,
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
) -> None:
    """Evaluate a saved model against the rules alone and a logistic regression; print the
    figures and save metrics.json, report.html and PNG charts (ROC, PR, calibration, cost)."""
    from fraud.model.evaluate import Costs, evaluate_artifact
    from fraud.model.report import summary_text, write_report

    settings = get_settings()
    folder = _model_folder(settings, model)
    raw = _load(settings, orders, outcomes, from_store, None)
    try:
        evaluation, context = evaluate_artifact(
            folder, raw, settings, truth=_truth(truth), since=_time(since, "--since"),
            cutoff=_time(cutoff, "--cutoff"),
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    target = out or Path("reports") / folder.name
    write_report(evaluation, target, Costs.from_settings(settings),
                 title=f"Fraud model {folder.name}", context=context)
    typer.echo(summary_text(evaluation.metrics))
    typer.echo(f"report: {target / 'report.html'}")

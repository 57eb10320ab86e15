"""``fraud models drift``: how far recent stored orders have moved from the model's training.

Exit code 0: no feature drifting; 1: drifting (for a cron job or a CI check); 2: cannot
judge (no reference, too few orders). The work is in :mod:`fraud.monitoring.drift_check`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from fraud.cli.common import fail, settings_or_exit
from fraud.cli.model import _model_folder, _time

if TYPE_CHECKING:
    from fraud.model.drift import DriftReport

SHOWN = 10


def format_report(report: DriftReport, top: int = SHOWN) -> str:
    """The report as the command prints it: top movers, then the verdict."""
    lines = [
        f"reference: {report.source} ({report.reference_rows:,} orders); "
        f"recent: {report.recent_rows:,} orders",
        f"{'feature':<34} {'PSI':>6}  {'bin that moved most':<28} {'reference':>9} "
        f"{'recent':>7}",
    ]
    for move in report.top(top):
        mark = " *" if move.psi > report.threshold else ""
        lines.append(
            f"{move.name:<34} {move.psi:>6.3f}  {move.bin[:28]:<28} "
            f"{move.reference_share:>8.1%} {move.recent_share:>7.1%}{mark}"
        )
    lines.append(report.summary(3))
    return "\n".join(lines)


def drift_command(
    model: Annotated[
        str | None,
        typer.Argument(help="Model version or folder (default: the one CURRENT names)"),
    ] = None,
    days: Annotated[
        float | None, typer.Option(help="Days of recent orders (default: FRAUD_DRIFT_DAYS)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="End of the recent window, ISO 8601 (default: now)")
    ] = None,
    reference_since: Annotated[
        str | None,
        typer.Option(help="Compare with the stored orders from this time on instead of the "
                     "model's training rows"),
    ] = None,
    reference_until: Annotated[
        str | None, typer.Option(help="End of that reference window (default: --until - days)")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="PSI above which a feature drifts (default: FRAUD_DRIFT_THRESHOLD)"),
    ] = None,
    top: Annotated[int, typer.Option(help="How many features to list")] = SHOWN,
) -> None:
    """Population stability index of every feature and of the model's score: recent stored
    orders against the model's training rows (or a reference window); * marks drifting."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from fraud.errors import FraudError
    from fraud.model.artifact import model_feature_kinds
    from fraud.model.serving import ServedModel
    from fraud.monitoring.drift_check import Window, check_drift, recent_window
    from fraud.store.db import make_engine

    settings = settings_or_exit()
    end = _time(until, "--until") or datetime.now(UTC)
    recent = recent_window(end, days if days is not None else settings.drift_days)
    reference = None
    if reference_since is not None:
        since = _time(reference_since, "--reference-since")
        assert since is not None
        reference = Window(since, _time(reference_until, "--reference-until") or recent.since)
    served = None
    if model is not None or reference is None or (settings.model_dir / "CURRENT").exists():
        try:
            served = ServedModel.load(_model_folder(settings, model))
        except FraudError as exc:
            raise fail(exc.message, 2) from None
        except typer.Exit:  # no such model: said on stderr; 1 means "drifting" here
            raise typer.Exit(2) from None
    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            report = check_drift(session, served, model_feature_kinds(), recent=recent,
                                 threshold=threshold or settings.drift_threshold,
                                 reference=reference)
    except FraudError as exc:
        raise fail(exc.message, 2) from None
    except SQLAlchemyError as exc:
        reason = (str(exc).strip().splitlines() or ["?"])[0]
        where = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
        raise fail(f"the store at {where} cannot be read: {reason}", 2) from None
    finally:
        engine.dispose()
    if served is not None:
        typer.echo(f"model {served.version}")
    typer.echo(format_report(report, top))
    if report.is_drifting:
        raise typer.Exit(1)

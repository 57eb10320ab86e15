"""``fraud rules performance``: per rule and week, hits, precision and share of reviews.

The work is in :mod:`fraud.monitoring.rule_performance`; this prints its rows as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from fraud.cli.common import fail, settings_or_exit
from fraud.cli.model import _time

if TYPE_CHECKING:
    from fraud.monitoring.rule_performance import RuleWeek


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def format_rows(rows: Sequence[RuleWeek]) -> str:
    """The table the command prints; ``-`` where nothing is labelled or nothing was held."""
    lines = [f"{'week':<10} {'rule':<34} {'hits':>6} {'labelled':>8} {'fraud':>6} "
             f"{'precision':>9} {'of reviews':>10}"]
    for r in rows:
        lines.append(f"{r.week.isoformat():<10} {r.rule_id[:34]:<34} {r.hits:>6} "
                     f"{r.labelled:>8} {r.fraud:>6} {_percent(r.precision):>9} "
                     f"{_percent(r.review_share):>10}")
    return "\n".join(lines)


def performance_command(
    weeks: Annotated[int, typer.Option(min=1, help="How many weeks back from --until")] = 8,
    until: Annotated[
        str | None, typer.Option(help="End of the period, ISO 8601 (default: now)")
    ] = None,
    maturity_days: Annotated[
        float, typer.Option(help="An order this much older than --until with no chargeback "
                            "counts as good")
    ] = 60.0,
    rule: Annotated[str | None, typer.Option(help="Only this rule id")] = None,
) -> None:
    """Per rule and ISO week: hits, labelled hits, fraud among them, precision, and the
    share of the week's reviews the rule took part in (labels as known at --until)."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from fraud.model.dataset import LabelPolicy
    from fraud.monitoring.rule_performance import from_store
    from fraud.store.db import make_engine

    settings = settings_or_exit()
    end = _time(until, "--until") or datetime.now(UTC)
    policy = LabelPolicy(end, timedelta(days=maturity_days))
    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            rows = from_store(session, end - timedelta(weeks=weeks), end, policy)
    except SQLAlchemyError as exc:
        where = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
        reason = (str(exc).strip().splitlines() or ["?"])[0]
        raise fail(f"the store at {where} cannot be read: {reason}", 2) from None
    finally:
        engine.dispose()
    if rule is not None:
        rows = [r for r in rows if r.rule_id == rule]
    if not rows:
        typer.echo(f"no rule hits on orders created in the {weeks} weeks before "
                   f"{end.isoformat()}")
        return
    typer.echo(format_rows(rows))

"""``fraud models list | promote | rollback | challenger | compare``.

Every running worker notices a new CURRENT (or CHALLENGER) within a second, no restart.
Promotions, rollbacks and challenger changes are recorded in the evidence chain
(:mod:`fraud.model.changes`).
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from fraud.cli.common import fail, open_session, settings_or_exit
from fraud.errors import FraudError
from fraud.model.registry import ModelInfo, ModelRegistry

app = typer.Typer(help="List, promote and roll back model versions.", no_args_is_help=True)
challenger_app = typer.Typer(
    help="The challenger: a model version scored in shadow on every order, never acting.",
    no_args_is_help=True,
)
app.add_typer(challenger_app, name="challenger")

ActorOpt = Annotated[
    str | None,
    typer.Option(help="Who makes the change, for the evidence record (default: the "
                 "operating-system user)"),
]


def _registry() -> ModelRegistry:
    return ModelRegistry(settings_or_exit().model_dir)


def _actor(actor: str | None) -> str:
    if actor:
        return actor[:200]
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment
        return "cli"


def format_metrics(metrics: dict) -> str:
    return "  ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items()
    )


def format_row(info: ModelInfo, challenger: str | None = None) -> str:
    """One line of ``fraud models list``: * marks the version in use, c the challenger."""
    mark = "*" if info.is_current else ("c" if info.version == challenger else " ")
    created = info.created_at or "-"
    return f"{mark} {info.version}\t{created}\t{format_metrics(dict(info.metrics))}".rstrip()


@app.command("list")
def models_list() -> None:
    """List model versions, oldest first; * marks the one the service uses, c the challenger."""
    registry = _registry()
    infos = registry.versions()
    if not infos:
        typer.echo(f"no model versions in {registry.model_dir} (the rules alone decide)")
        return
    challenger = registry.challenger_version()
    for info in infos:
        typer.echo(format_row(info, challenger))
    if registry.current_version() is None:
        typer.echo("no version is current: the rules alone decide")


@app.command("promote")
def models_promote(
    version: Annotated[
        str, typer.Argument(help="Model version to serve, as `fraud models list` shows it")
    ],
    actor: ActorOpt = None,
) -> None:
    """Serve VERSION from now on, after checking it loads and matches the code's features;
    recorded in the evidence chain."""
    from fraud.model import changes

    settings = settings_or_exit()
    try:
        with open_session(settings) as session:
            previous = changes.promote(session, ModelRegistry(settings.model_dir), version,
                                       _actor(actor))
    except FraudError as exc:
        raise fail(exc.message) from None
    typer.echo(f"current model: {version} (was {previous}); recorded in the evidence chain")


@app.command("rollback")
def models_rollback(actor: ActorOpt = None) -> None:
    """Go back to the model version promoted before the current one; recorded in the
    evidence chain."""
    from fraud.model import changes

    settings = settings_or_exit()
    try:
        with open_session(settings) as session:
            version = changes.rollback(session, ModelRegistry(settings.model_dir), _actor(actor))
    except FraudError as exc:
        raise fail(exc.message) from None
    typer.echo(f"current model: {version}; recorded in the evidence chain")


@challenger_app.command("set")
def challenger_set(
    version: Annotated[str, typer.Argument(help="Model version to score in shadow")],
    actor: ActorOpt = None,
) -> None:
    """Score VERSION in shadow beside the live model on every new order (stored, never
    acting); running workers start within a second."""
    from fraud.model import changes

    settings = settings_or_exit()
    try:
        with open_session(settings) as session:
            changes.set_challenger(session, ModelRegistry(settings.model_dir), version,
                                   _actor(actor))
    except FraudError as exc:
        raise fail(exc.message) from None
    typer.echo(f"challenger: {version} (scored in shadow; compare with `fraud models compare`)")


@challenger_app.command("clear")
def challenger_clear(actor: ActorOpt = None) -> None:
    """Stop scoring a challenger."""
    from fraud.model import changes

    settings = settings_or_exit()
    with open_session(settings) as session:
        was = changes.clear_challenger(session, ModelRegistry(settings.model_dir), _actor(actor))
    typer.echo(f"challenger {was} cleared" if was else "no challenger was set")


@challenger_app.command("show")
def challenger_show() -> None:
    """The challenger and how many orders it has scored."""
    from fraud.store.challenger import challenger_counts

    settings = settings_or_exit()
    version = settings.challenger_model or ModelRegistry(settings.model_dir).challenger_version()
    with open_session(settings) as session:
        counts = challenger_counts(session)
    typer.echo(f"challenger: {version or 'none'}")
    for name, n in sorted(counts.items()):
        typer.echo(f"  {name}: {n:,} orders scored in shadow")


@app.command("compare")
def models_compare(
    challenger: Annotated[
        str | None, typer.Argument(help="Challenger version (default: the one CHALLENGER names)")
    ] = None,
    champion: Annotated[
        str | None, typer.Option(help="Champion version (default: the one CURRENT names)")
    ] = None,
    days: Annotated[float, typer.Option(help="Days of stored orders compared")] = 30.0,
    until: Annotated[
        str | None, typer.Option(help="End of the window and labels' cut-off (default: now)")
    ] = None,
    maturity_days: Annotated[
        float, typer.Option(help="An order this much older than the cut-off with no "
                            "chargeback counts as good")
    ] = 60.0,
) -> None:
    """Champion and challenger on the same recent labelled orders: recall and precision at
    review rates and the expected cost with the cost figures from the settings."""
    from fraud.cli.model import _time
    from fraud.model.compare import compare_models
    from fraud.model.dataset import LabelPolicy
    from fraud.model.report import summary_text

    settings = settings_or_exit()
    registry = ModelRegistry(settings.model_dir)
    champion = champion or settings.model_version or registry.current_version()
    challenger = challenger or settings.challenger_model or registry.challenger_version()
    if champion is None or challenger is None:
        raise fail("name both models: no CURRENT or no CHALLENGER "
                   "(`fraud models challenger set VERSION`)")
    end = _time(until, "--until") or datetime.now(UTC)
    try:
        old, new = registry.load(champion), registry.load(challenger)
        if old is None or new is None:  # cannot happen: both were named
            raise fail("name both models")
        with open_session(settings) as session:
            result = compare_models(session, old, new, settings,
                                    since=end - timedelta(days=days), until=end,
                                    policy=LabelPolicy(end, timedelta(days=maturity_days)))
    except FraudError as exc:
        raise fail(exc.message) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"orders created {result.since.isoformat()} to {result.until.isoformat()}: "
               f"{result.orders:,} stored, {result.labelled:,} labelled at the cut-off")
    typer.echo(summary_text(result.evaluation.metrics))

"""``fraud models list | promote | rollback``.

The running service notices a new CURRENT within a second (no restart needed).
"""

from __future__ import annotations

from typing import Annotated

import typer

from fraud.cli.common import fail, settings_or_exit
from fraud.errors import FraudError
from fraud.model.registry import ModelInfo, ModelRegistry

app = typer.Typer(help="List, promote and roll back model versions.", no_args_is_help=True)


def _registry() -> ModelRegistry:
    return ModelRegistry(settings_or_exit().model_dir)


def format_metrics(metrics: dict) -> str:
    return "  ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items()
    )


def format_row(info: ModelInfo) -> str:
    """One line of ``fraud models list``: a star marks the version in use."""
    mark = "*" if info.is_current else " "
    created = info.created_at or "-"
    return f"{mark} {info.version}\t{created}\t{format_metrics(dict(info.metrics))}".rstrip()


@app.command("list")
def models_list() -> None:
    """List model versions, oldest first; * marks the one the service uses."""
    registry = _registry()
    infos = registry.versions()
    if not infos:
        typer.echo(f"no model versions in {registry.model_dir} (the rules alone decide)")
        return
    for info in infos:
        typer.echo(format_row(info))
    if registry.current_version() is None:
        typer.echo("no version is current: the rules alone decide")


@app.command("promote")
def models_promote(
    version: Annotated[
        str, typer.Argument(help="Model version to serve, as `fraud models list` shows it")
    ],
) -> None:
    """Serve VERSION from now on, after checking it loads and matches the code's features."""
    try:
        model = _registry().promote(version)
    except FraudError as exc:
        raise fail(exc.message) from None
    typer.echo(f"current model: {model.version}")


@app.command("rollback")
def models_rollback() -> None:
    """Go back to the model version promoted before the current one."""
    try:
        version = _registry().rollback()
    except FraudError as exc:
        raise fail(exc.message) from None
    typer.echo(f"current model: {version}")

"""The ``fraud`` command: one typer app, one module per command group.

Every command is a thin layer over the library; they are registered here, in
one place, so ``fraud --help`` and this file list the same commands.
"""

from __future__ import annotations

import typer

from fraud.cli import (
    apikey,
    case,
    db,
    drift,
    events,
    evidence,
    imports,
    model,
    models,
    privacy,
    rule_performance,
    rules,
    score,
    serve,
    simulate,
    users,
)

app = typer.Typer(
    help="Order fraud scoring: serve, score, manage keys, rules and the store.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

app.command("serve")(serve.serve)
app.command("score")(score.score)
app.command("simulate", help=simulate.simulate_command.__doc__)(simulate.simulate_command)
app.command("train", help=model.train_command.__doc__)(model.train_command)
app.command("evaluate", help=model.evaluate_command.__doc__)(model.evaluate_command)
app.add_typer(apikey.app, name="apikey")
app.add_typer(db.app, name="db")
rules.app.command(
    "performance", help=rule_performance.performance_command.__doc__
)(rule_performance.performance_command)
app.add_typer(rules.app, name="rules")
models.app.command("drift", help=drift.drift_command.__doc__)(drift.drift_command)
app.add_typer(models.app, name="models")
app.add_typer(imports.app, name="import")
app.add_typer(evidence.app, name="evidence")
app.add_typer(events.app, name="events")
app.add_typer(case.app, name="case")
app.add_typer(privacy.app, name="privacy")
app.add_typer(users.app, name="users")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

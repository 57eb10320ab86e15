"""The ``fraud`` command: a thin layer over the library (typer)."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated

import typer

from fraud.errors import FraudError
from fraud.settings import Settings, get_settings

app = typer.Typer(
    help="Order fraud scoring: serve, score, manage keys, rules and the store.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
apikey_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
rules_app = typer.Typer(help="Check and test rules files.", no_args_is_help=True)
models_app = typer.Typer(help="List, promote and roll back model versions.", no_args_is_help=True)
import_app = typer.Typer(help="Import orders from other formats.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
app.add_typer(db_app, name="db")
app.add_typer(rules_app, name="rules")
app.add_typer(models_app, name="models")
app.add_typer(import_app, name="import")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _open_text(path: str) -> IO[str]:
    if path == "-":
        return sys.stdin
    p = Path(path)
    if not p.exists():
        raise fail(f"{path}: no such file")
    if p.suffix == ".gz":
        return gzip.open(p, "rt", encoding="utf-8")
    return p.open(encoding="utf-8")


def iter_json_lines(stream: IO[str], source: str) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, object or None, error or None) for every non-blank line."""
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield (
                lineno,
                None,
                f"{source}:{lineno}: malformed JSON: {exc.msg} at column {exc.colno}",
            )
            continue
        if not isinstance(obj, dict):
            yield (
                lineno,
                None,
                f"{source}:{lineno}: expected a JSON object, got {type(obj).__name__}",
            )
            continue
        yield lineno, obj, None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Load the bundled sample orders into an empty store")
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Run the HTTP service (the JSON API and its OpenAPI page)."""
    import logging
    import os

    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")

    if demo:
        os.environ["FRAUD_DEMO"] = "true"
        get_settings.cache_clear()
    settings = get_settings()
    typer.echo(f"store: {settings.resolved_database_url}")
    if settings.demo:
        typer.echo("demo mode: API key 'fsk_demo' is accepted; never use demo mode in production")
    uvicorn.run(
        "api.main:create_app", factory=True, host=host, port=port, workers=workers, log_level="info"
    )


@app.command()
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
) -> None:
    """Score orders, printing one decision (JSON) per line. Bad lines are reported with their
    line number on stderr and skipped; the exit code is 1 if any line was bad."""
    from fraud.batch import score_stream
    from fraud.signals import registered_signals

    settings = get_settings()
    skip = skip_signal or []
    if skip and store:
        raise fail("--skip-signal needs --no-store: the service's store holds full orders only")
    unknown = sorted(set(skip) - {s.name for s in registered_signals()})
    if unknown:
        known = ", ".join(s.name for s in registered_signals())
        raise fail(f"unknown signal {', '.join(unknown)}; known: {known}")
    events = []
    if outcomes is not None:
        from fraud.batch import read_outcome_events

        if not outcomes.exists():
            raise fail(f"{outcomes}: no such file")
        try:
            events = read_outcome_events(outcomes)
        except FraudError as exc:
            raise fail(exc.message) from None
    bad = 0
    with _open_text(file) as stream:
        lines = iter_json_lines(stream, file)
        for out, error in score_stream(lines, settings, store=store, skip=skip, outcomes=events):
            if error is not None:
                bad += 1
                typer.echo(error, err=True)
            else:
                typer.echo(json.dumps(out, ensure_ascii=False))
    if bad:
        raise typer.Exit(1)


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. order-service")],
) -> None:
    """Create an API key. The secret is printed once; only its hash is stored."""
    from fraud.store import apikeys

    with _session(get_settings()) as session:
        try:
            secret = apikeys.create_api_key(session, name)
        except FraudError as exc:
            raise fail(exc.message) from None
    typer.echo(secret)


@apikey_app.command("list")
def apikey_list() -> None:
    """List API keys (names, prefixes, state) — never the secrets."""
    from fraud.store import apikeys

    with _session(get_settings()) as session:
        for key in apikeys.list_api_keys(session):
            state = "revoked" if key.revoked_at else "active"
            typer.echo(f"{key.name}\t{key.prefix}…\t{state}\t{key.created_at:%Y-%m-%d %H:%M}")


@apikey_app.command("revoke")
def apikey_revoke(name: str) -> None:
    """Revoke an API key by name; requests using it are refused from now on."""
    from fraud.store import apikeys

    with _session(get_settings()) as session:
        try:
            apikeys.revoke_api_key(session, name)
        except FraudError as exc:
            raise fail(exc.message) from None
    typer.echo(f"revoked {name}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the store's tables to the latest version (Alembic)."""
    from fraud.store.db import upgrade_database

    settings = get_settings()
    _prepare_data_dir(settings)
    upgrade_database(settings.resolved_database_url)
    typer.echo(f"store at latest schema: {settings.resolved_database_url}")


@rules_app.command("check")
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


def _prepare_data_dir(settings: Settings) -> None:
    if settings.resolved_database_url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)


def _session(settings: Settings):  # noqa: ANN202 - a contextmanager
    from sqlalchemy.orm import Session

    from fraud.store.db import make_engine, upgrade_database

    _prepare_data_dir(settings)
    upgrade_database(settings.resolved_database_url)
    return Session(make_engine(settings.resolved_database_url), expire_on_commit=False)


def _register_commands() -> None:
    """Commands that live beside the library part they drive."""
    from fraud.importers.cli import import_command
    from fraud.model_cli import evaluate_command, train_command
    from fraud.model_registry_cli import models_list, models_promote, models_rollback
    from fraud.rules.backtest_cli import backtest_command, shadow_report_command
    from fraud.simulate_cli import simulate_command

    app.command("simulate", help=simulate_command.__doc__)(simulate_command)
    app.command("train", help=train_command.__doc__)(train_command)
    app.command("evaluate", help=evaluate_command.__doc__)(evaluate_command)
    models_app.command("list")(models_list)
    models_app.command("promote")(models_promote)
    models_app.command("rollback")(models_rollback)
    rules_app.command("backtest")(backtest_command)
    rules_app.command("shadow-report")(shadow_report_command)
    import_app.command("ecommerce")(import_command)


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()

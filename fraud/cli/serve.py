"""``fraud serve``: the HTTP service."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fraud.cli.common import fail, settings_or_exit
from fraud.errors import FraudError
from fraud.settings import Settings, get_settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Load the bundled sample orders into an empty store")
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    demo_on_any_store: Annotated[
        bool,
        typer.Option(help="Allow --demo on PostgreSQL or on a store holding other API keys"),
    ] = False,
) -> None:
    """Run the HTTP service (the JSON API and its OpenAPI page)."""
    import logging.config
    import os

    import uvicorn
    from sqlalchemy.engine import make_url

    from fraud.cli.server_logging import log_config

    if demo:
        os.environ["FRAUD_DEMO"] = "true"
    if demo_on_any_store:
        os.environ["FRAUD_DEMO_ON_ANY_STORE"] = "true"
    get_settings.cache_clear()
    settings = settings_or_exit()
    from fraud.runtime import prepare_to_serve
    from fraud.signals import load_signal_modules

    # a bad signal module, rules file or store: one line here, not a traceback from the
    # server's start (in every worker); and the store is migrated once, not per worker
    try:
        load_signal_modules(settings.signal_modules)
        prepare_to_serve(settings)
    except FraudError as exc:
        raise fail(exc.message) from None
    if settings.demo:
        refuse_unsafe_demo(settings)
    typer.echo(f"store: {make_url(settings.resolved_database_url).render_as_string()}")
    if settings.demo:
        typer.echo("demo mode: API key 'fsk_demo' is accepted; never use demo mode in production")
    # the review pages' first users, once and before logging starts: a drawn password is
    # shown here, never written into the log
    from fraud.review.bootstrap import announcement, first_users_in_store

    for user in first_users_in_store(settings):
        typer.echo(announcement(user), err=True)
    if settings.metrics_enabled:
        from fraud.monitoring.multiprocess import MULTIPROCESS_ENV, prepare_metrics_dir

        metrics_dir = prepare_metrics_dir(settings.metrics_dir, workers)
        if metrics_dir is not None:  # inherited by the workers, read by their /metrics
            os.environ[MULTIPROCESS_ENV] = str(metrics_dir)
    # only once the server will run: a refused start must not leave the process's logging
    # pointed at a stream its caller closes (a test runner's captured stderr)
    logging.config.dictConfig(log_config(fmt=settings.log_format))
    uvicorn.run(
        "api.main:create_app", factory=True, **server_options(settings, host, port, workers)
    )


def server_options(settings: Settings, host: str, port: int, workers: int) -> dict[str, Any]:
    """uvicorn's options for ``fraud serve``; bench/bench_http.py serves its no-op app with
    the same ones, so the two compare like with like."""
    from fraud.cli.server_logging import log_config

    return {
        "host": host,
        "port": port,
        "workers": workers,
        "log_config": log_config(fmt=settings.log_format),
        # h11, not httptools: only h11 bounds the size of a request's headers.
        "http": "h11",
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "timeout_worker_healthcheck": settings.worker_healthcheck_seconds,
    }


def refuse_unsafe_demo(settings: Settings) -> None:
    """One line and exit code 2 when demo mode must not start on the configured store."""
    from sqlalchemy.exc import OperationalError

    from fraud.demo import demo_refusal
    from fraud.store.db import make_engine

    engine = make_engine(settings.resolved_database_url)  # migrated by prepare_to_serve
    try:
        refusal = demo_refusal(settings, engine)
    except OperationalError as exc:
        raise fail(f"store unreachable: {str(exc.orig).strip().splitlines()[0]}", 2) from None
    finally:
        engine.dispose()
    if refusal is not None:
        raise fail(refusal, 2)

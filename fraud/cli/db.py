"""``fraud db upgrade``."""

from __future__ import annotations

import typer

from fraud.cli.common import prepare_data_dir, settings_or_exit

app = typer.Typer(help="The store's schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the store's tables to the latest version (Alembic)."""
    from fraud.store.db import upgrade_database

    settings = settings_or_exit()
    prepare_data_dir(settings)
    upgrade_database(settings.resolved_database_url)
    typer.echo(f"store at latest schema: {settings.resolved_database_url}")

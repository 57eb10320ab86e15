"""``fraud apikey create | list | revoke``."""

from __future__ import annotations

from typing import Annotated

import typer

from fraud.cli.common import fail, open_session, settings_or_exit
from fraud.errors import FraudError

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. order-service")],
) -> None:
    """Create an API key. The secret is printed once; only its hash is stored."""
    from fraud.store import apikeys

    with open_session(settings_or_exit()) as session:
        try:
            secret = apikeys.create_api_key(session, name)
        except FraudError as exc:
            raise fail(exc.message) from None
    typer.echo(secret)


@app.command("list")
def apikey_list() -> None:
    """List API keys (names, prefixes, state) — never the secrets."""
    from fraud.store import apikeys

    with open_session(settings_or_exit()) as session:
        for key in apikeys.list_api_keys(session):
            state = "revoked" if key.revoked_at else "active"
            typer.echo(f"{key.name}\t{key.prefix}…\t{state}\t{key.created_at:%Y-%m-%d %H:%M}")


@app.command("revoke")
def apikey_revoke(name: str) -> None:
    """Revoke an API key by name; requests using it are refused from now on."""
    from fraud.store import apikeys

    with open_session(settings_or_exit()) as session:
        try:
            apikeys.revoke_api_key(session, name)
        except FraudError as exc:
            raise fail(exc.message) from None
    typer.echo(f"revoked {name}")

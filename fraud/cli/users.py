"""``fraud users add | list | password``: the people who sign in to the review pages."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fraud.cli.common import fail, open_session, settings_or_exit
from fraud.errors import FraudError

app = typer.Typer(help="Add and list review-page users; set passwords.", no_args_is_help=True)

ROLE_HELP = "reviewer (works the queue), analyst (reads everything, acts on nothing) or admin"
STDIN_HELP = "Read the password from the first line of stdin instead of drawing one."


def _password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    return sys.stdin.readline().rstrip("\r\n")


@app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name to sign in with")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "reviewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=STDIN_HELP)] = False,
) -> None:
    """Add a user. A drawn password is printed once; only its argon2 hash is stored."""
    from fraud.review.roles import Role
    from fraud.review.users import add_user, new_password

    try:
        parsed = Role.parse(role)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    given = _password(password_stdin)
    password = given if given is not None else new_password()
    with open_session(settings_or_exit()) as session:
        try:
            add_user(session, name, parsed, password)
        except FraudError as exc:
            raise fail(exc.message) from None
    typer.echo(f"added {name} ({parsed.value})", err=True)
    if given is None:
        typer.echo(password)


@app.command("list")
def users_list() -> None:
    """List users and roles (never passwords), and which accounts are locked."""
    from datetime import UTC, datetime

    from fraud.review.users import list_users

    now = datetime.now(UTC)
    with open_session(settings_or_exit()) as session:
        for user in list_users(session):
            locked = user.locked_until is not None and user.locked_until > now
            state = f"locked until {user.locked_until:%H:%M} UTC" if locked else "active"
            typer.echo(f"{user.username}\t{user.role.value}\t{state}")


@app.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="The user whose password to replace")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=STDIN_HELP)] = False,
) -> None:
    """Replace a user's password (and lift a lock-out); a drawn one is printed once."""
    from fraud.review.users import new_password, set_password

    given = _password(password_stdin)
    password = given if given is not None else new_password()
    with open_session(settings_or_exit()) as session:
        try:
            set_password(session, name, password)
        except FraudError as exc:
            raise fail(exc.message) from None
    if given is None:
        typer.echo(password)

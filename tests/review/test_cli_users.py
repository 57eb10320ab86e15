"""``fraud users``: add with a role, list, replace a password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fraud.cli import app
from fraud.review.users import authenticate
from fraud.settings import get_settings
from fraud.store.db import make_engine

LOCK = {"max_failures": 5, "lock_for": timedelta(minutes=15)}


@pytest.fixture
def cli(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "var"))
    return CliRunner()


def _sign_in(name: str, password: str):  # noqa: ANN202
    engine = make_engine(get_settings().resolved_database_url)
    try:
        with Session(engine) as s:
            return authenticate(s, name, password, **LOCK)
    finally:
        engine.dispose()


def test_users_add_prints_a_drawn_password_that_signs_in(cli):
    done = cli.invoke(app, ["users", "add", "rita", "--role", "reviewer"])
    assert done.exit_code == 0, done.output
    password = done.stdout.strip().splitlines()[-1]
    assert _sign_in("rita", password).role.value == "reviewer"


def test_users_add_reads_a_password_from_stdin_and_prints_none(cli):
    done = cli.invoke(app, ["users", "add", "ann", "--role", "analyst", "--password-stdin"],
                      input="a long enough password\n")
    assert done.exit_code == 0, done.output
    assert "a long enough password" not in done.stdout
    assert _sign_in("ann", "a long enough password").role.value == "analyst"


def test_users_add_refuses_an_unknown_role_and_a_taken_name(cli):
    bad = cli.invoke(app, ["users", "add", "x", "--role", "boss"])
    assert bad.exit_code == 2 and "unknown role 'boss'; allowed: reviewer, analyst, admin" in (
        bad.stderr)
    assert cli.invoke(app, ["users", "add", "ada", "--role", "admin"]).exit_code == 0
    again = cli.invoke(app, ["users", "add", "ada", "--role", "admin"])
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_users_list_and_password(cli):
    cli.invoke(app, ["users", "add", "rob"])
    listed = cli.invoke(app, ["users", "list"])
    assert listed.stdout.split("\t")[:2] == ["rob", "reviewer"]
    new = cli.invoke(app, ["users", "password", "rob"]).stdout.strip()
    assert _sign_in("rob", new).username == "rob"

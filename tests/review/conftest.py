"""Users of each role on a migrated store (SQLite and PostgreSQL through ``session``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))



@pytest.fixture
def people(session):  # noqa: ANN001, ANN201
    """A reviewer, a second reviewer, an analyst and an admin."""
    from holding import PASSWORD

    from fraud.review.roles import Role
    from fraud.review.users import add_user

    return {
        name: add_user(session, name, role, PASSWORD)
        for name, role in [("rita", Role.REVIEWER), ("rob", Role.REVIEWER),
                           ("ann", Role.ANALYST), ("ada", Role.ADMIN)]
    }


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its real cost takes a good part of a second per hash on a busy test
    machine; the tests check behaviour, not the cost, so they hash cheaply."""
    from argon2 import PasswordHasher

    from fraud.review import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))

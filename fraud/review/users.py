"""People who sign in to the review pages: names, roles, argon2 password hashes, lock-out.

A wrong password counts against the account in one atomic ``UPDATE``, so failures sent
at once from many connections all count; after ``max_failures`` in a row the account is
locked for ``lock_for`` and even the right password is refused until then.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fraud.errors import Conflict, InvalidInput
from fraud.review.errors import LockedOut, SignInFailed
from fraud.review.roles import Role
from fraud.store.review_tables import users
from fraud.times import utc

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000  # argon2 hashes anything, but a megabyte "password" is an attack

_hasher = PasswordHasher()
# Verified against when the name is unknown, so both failures take as long.


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown names (same time as a real check); made on
    first use: an argon2 hash costs ~0.6 s and 64 MiB, at every worker's start before."""
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    created_at: datetime
    locked_until: datetime | None = None


def _user(row: object) -> User:
    r = row  # a Core row of ``users``
    return User(
        r.id, r.username, Role(r.role), r.created_at, r.locked_until  # type: ignore[attr-defined]
    )


def check_username(name: str) -> str:
    if not USERNAME.match(name):
        raise InvalidInput(
            "a user name has 1 to 64 letters, digits or . _ @ - and starts with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    return password


def new_password() -> str:
    """A random password to print once (about 128 bits)."""
    return secrets.token_urlsafe(16)


def add_user(
    session: Session, username: str, role: Role, password: str, *, now: datetime | None = None
) -> User:
    """Create a user and commit. :class:`Conflict` if the name is taken."""
    check_username(username)
    check_password(password)
    created = utc(now) if now else datetime.now(UTC)
    try:
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            insert(users).values(
                username=username,
                role=role.value,
                password_hash=_hasher.hash(password),
                created_at=created,
                failed_logins=0,
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"a user named {username!r} already exists") from None
    (user_id,) = result.inserted_primary_key or (0,)
    return User(int(user_id), username, role, created)


def set_password(session: Session, username: str, password: str) -> None:
    """Replace a user's password and lift any lock-out."""
    check_password(password)
    done: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(users)
        .where(users.c.username == username)
        .values(password_hash=_hasher.hash(password), failed_logins=0, locked_until=None)
    )
    session.commit()
    if done.rowcount == 0:
        raise InvalidInput(f"no user named {username!r}")


def list_users(session: Session) -> list[User]:
    return [_user(r) for r in session.execute(select(users).order_by(users.c.username))]


def find_user(session: Session, user_id: int) -> User | None:
    row = session.execute(select(users).where(users.c.id == user_id)).first()
    return None if row is None else _user(row)


def count_users(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(users)).scalar_one())


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    max_failures: int,
    lock_for: timedelta,
    now: datetime | None = None,
) -> User:
    """The user with this name and password. Raises :class:`SignInFailed` (same words
    for an unknown name and a wrong password) or :class:`LockedOut`."""
    now = utc(now) if now else datetime.now(UTC)
    row = session.execute(select(users).where(users.c.username == username)).first()
    session.rollback()  # end the read: the write below starts its own transaction
    if row is None or len(password) > MAX_PASSWORD_LENGTH:
        _verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        raise SignInFailed("wrong user name or password")
    if row.locked_until is not None and row.locked_until > now:
        raise LockedOut(_locked_message(row.locked_until))
    if not _verify(row.password_hash, password):
        _count_failure(session, row.id, max_failures, now + lock_for)
        raise SignInFailed("wrong user name or password")
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = _hasher.hash(password)
    session.execute(update(users).where(users.c.id == row.id).values(**values))
    session.commit()
    return _user(row)


def _locked_message(until: datetime) -> str:
    return (
        "too many failed sign-ins: this account is locked until "
        f"{until:%H:%M} UTC; an admin can lift it by setting a new password"
    )


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(session: Session, user_id: int, max_failures: int, until: datetime) -> None:
    """One more failure, counted in the database so concurrent failures all count;
    the one that reaches ``max_failures`` locks the account and restarts the count."""
    reached = users.c.failed_logins + 1 >= max_failures
    session.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(
            locked_until=case((reached, until), else_=users.c.locked_until),
            failed_logins=case((reached, 0), else_=users.c.failed_logins + 1),
        )
    )
    session.commit()


def ensure_first_admin(
    session: Session, *, username: str = "admin", password: str | None = None
) -> str | None:
    """On a store without users, create an admin. Returns the password when it was
    drawn here (to be printed once), ``None`` when a user existed or ``password`` was
    given. Two processes starting at once create one admin: the loser sees the name taken."""
    if count_users(session) > 0:
        return None
    drawn = password is None
    secret = password if password is not None else new_password()
    try:
        add_user(session, username, Role.ADMIN, secret)
    except Conflict:
        return None
    return secret if drawn else None

"""The first users: an admin on a store without users (password from the settings or
drawn, to be printed once), and in demo mode a reviewer too."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from fraud.errors import Conflict
from fraud.review.roles import Role
from fraud.review.users import add_user, count_users, ensure_first_admin, new_password
from fraud.settings import Settings

FIRST_ADMIN = "admin"
DEMO_REVIEWER = "reviewer"


@dataclass(frozen=True)
class Created:
    """A user made at start; ``password`` is set when it was drawn and must be shown once."""

    username: str
    role: Role
    password: str | None


def first_users(session: Session, settings: Settings) -> list[Created]:
    given = settings.review_admin_password
    created: list[Created] = []
    if count_users(session) == 0:
        drawn = ensure_first_admin(
            session,
            username=FIRST_ADMIN,
            password=given.get_secret_value() if given is not None else None,
        )
        if drawn is not None or given is not None:
            created.append(Created(FIRST_ADMIN, Role.ADMIN, drawn))
    if settings.demo:
        try:
            password = new_password()
            add_user(session, DEMO_REVIEWER, Role.REVIEWER, password)
            created.append(Created(DEMO_REVIEWER, Role.REVIEWER, password))
        except Conflict:
            pass  # made at an earlier start: its password was printed then
    return created


def announcement(user: Created) -> str:
    """The line that tells whoever starts the service about a user made at start."""
    if user.password is None:
        return (f"review pages: created {user.role.value} {user.username!r} with the password "
                "from FRAUD_REVIEW_ADMIN_PASSWORD")
    return (f"review pages: created {user.role.value} {user.username!r}, password "
            f"{user.password} (shown once; sign in at /review)")


def first_users_in_store(settings: Settings) -> list[Created]:
    """:func:`first_users` on the store the settings name (already migrated)."""
    from fraud.store.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            return first_users(session, settings)
    finally:
        engine.dispose()

"""Sign-in sessions, stored server-side: the browser holds a random token, the store its
SHA-256, the user and a CSRF token bound to the session. Signing out deletes the row, so
a copied cookie stops working at once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from fraud.review.roles import Role
from fraud.review.users import User
from fraud.store.review_tables import review_sessions, users
from fraud.times import utc


@dataclass(frozen=True)
class SignedIn:
    """Who a request's session belongs to, and the CSRF token its forms must carry."""

    user: User
    csrf_token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(
    session: Session, user: User, *, lasts: timedelta, now: datetime | None = None
) -> str:
    """A new session for ``user``; returns the token for the cookie (stored only hashed).
    Expired sessions are removed on the way."""
    now = utc(now) if now else datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    session.execute(delete(review_sessions).where(review_sessions.c.expires_at <= now))
    session.execute(
        insert(review_sessions).values(
            token_sha256=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + lasts,
        )
    )
    session.commit()
    return token


def signed_in(session: Session, token: str, *, now: datetime | None = None) -> SignedIn | None:
    """The user of a live session, or ``None`` (unknown, expired, or signed out)."""
    if not token or len(token) > 200:
        return None
    now = utc(now) if now else datetime.now(UTC)
    row = session.execute(
        select(review_sessions, users.c.username, users.c.role, users.c.created_at)
        .join(users, users.c.id == review_sessions.c.user_id)
        .where(review_sessions.c.token_sha256 == _digest(token))
    ).first()
    if row is None or row.expires_at <= now:
        return None
    user = User(row.user_id, row.username, Role(row.role), row.created_at)
    return SignedIn(user, row.csrf_token, row.expires_at)


def end_session(session: Session, token: str) -> None:
    """Sign out: the session's row is deleted (again is harmless)."""
    session.execute(delete(review_sessions).where(review_sessions.c.token_sha256 == _digest(token)))
    session.commit()


def csrf_matches(expected: str, given: str | None) -> bool:
    """A form's CSRF token against its session's, in constant time."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())

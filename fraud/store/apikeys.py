"""API keys: the secret is shown once at creation; only its SHA-256 is stored.

Secrets are 32 random bytes, so a plain (unsalted) SHA-256 is enough: there is
nothing to guess by brute force, unlike a password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fraud.errors import Conflict, InvalidInput, NotFound
from fraud.store.tables import api_keys

SECRET_PREFIX = "fsk_"  # noqa: S105 - a public marker on every key, not a secret
DEMO_SECRET = "fsk_demo"  # noqa: S105 - public on purpose: accepted only in demo mode
PREFIX_LENGTH = 12  # "fsk_" + 8 characters: enough to tell keys apart in a list


@dataclass(frozen=True)
class ApiKey:
    """A stored key: its name, the first characters of the secret, and its state."""

    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _api_key(row: object) -> ApiKey:
    return ApiKey(row.name, row.prefix, row.created_at, row.revoked_at)  # type: ignore[attr-defined]


def create_api_key(session: Session, name: str, *, secret: str | None = None) -> str:
    """Create a key named ``name`` and return its secret: the only time it is visible.

    ``secret`` fixes the secret instead of drawing a random one (demo mode only).
    Raises :class:`~fraud.errors.Conflict` if the name is taken (revoked keys
    keep their names) and :class:`~fraud.errors.InvalidInput` for a blank name.
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("an API key name must have 1 to 100 characters")
    if secret is None:
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    elif not secret.startswith(SECRET_PREFIX):
        raise InvalidInput(f"an API key secret must start with {SECRET_PREFIX!r}")
    try:
        session.execute(
            insert(api_keys).values(
                name=name,
                prefix=secret[:PREFIX_LENGTH],
                secret_sha256=_digest(secret),
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"an API key named {name!r} already exists") from None
    return secret


def verify_api_key(session: Session, secret: str, *, demo_mode: bool = False) -> ApiKey | None:
    """The active key whose secret this is, or ``None`` (unknown, malformed or revoked).

    The public demo secret is refused unless ``demo_mode``: a store that once ran in
    demo mode still holds the demo key, and it must die with demo mode.
    """
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    if secret == DEMO_SECRET and not demo_mode:
        return None
    digest = _digest(secret)
    rows = session.execute(
        select(api_keys).where(api_keys.c.prefix == secret[:PREFIX_LENGTH])
    ).all()
    for row in rows:
        if hmac.compare_digest(row.secret_sha256, digest):
            return _api_key(row) if row.revoked_at is None else None
    return None


def holds_other_keys(session: Session) -> bool:
    """Whether the store holds any key, active or revoked, besides the demo key: a sign
    it serves real clients."""
    found = session.execute(
        select(true()).where(api_keys.c.secret_sha256 != _digest(DEMO_SECRET)).limit(1)
    ).first()
    return found is not None


def revoke_api_key(session: Session, name: str, *, at: datetime | None = None) -> ApiKey:
    """Revoke the key named ``name`` (again is harmless); NotFound if there is none."""
    row = session.execute(select(api_keys).where(api_keys.c.name == name)).first()
    if row is None:
        raise NotFound(f"no API key named {name!r}")
    if row.revoked_at is not None:
        return _api_key(row)
    revoked_at = at or datetime.now(UTC)
    session.execute(update(api_keys).where(api_keys.c.id == row.id).values(revoked_at=revoked_at))
    session.commit()
    return ApiKey(row.name, row.prefix, row.created_at, revoked_at.astimezone(UTC))


def list_api_keys(session: Session) -> list[ApiKey]:
    """Every key, active and revoked, oldest first; never the secrets."""
    rows = session.execute(select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id))
    return [_api_key(r) for r in rows]

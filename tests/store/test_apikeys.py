"""API keys: shown once, stored hashed, verified, revoked, listed."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fraud.errors import Conflict, NotFound
from fraud.store.apikeys import create_api_key, list_api_keys, revoke_api_key, verify_api_key
from fraud.store.tables import api_keys


def test_a_created_key_verifies_and_only_its_hash_is_stored(session: Session) -> None:
    secret = create_api_key(session, "order-service")
    key = verify_api_key(session, secret)
    assert key is not None and key.name == "order-service" and key.active
    stored = session.execute(select(api_keys)).one()
    assert secret not in {str(v) for v in stored}
    assert stored.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(stored.prefix)


def test_wrong_or_malformed_secrets_do_not_verify(session: Session) -> None:
    secret = create_api_key(session, "order-service")
    assert verify_api_key(session, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert verify_api_key(session, "") is None
    assert verify_api_key(session, "not-a-key") is None


def test_a_duplicate_name_is_a_conflict(session: Session) -> None:
    create_api_key(session, "order-service")
    with pytest.raises(Conflict):
        create_api_key(session, "order-service")
    assert [k.name for k in list_api_keys(session)] == ["order-service"]


def test_a_revoked_key_no_longer_verifies_but_stays_listed(session: Session) -> None:
    secret = create_api_key(session, "old")
    other = create_api_key(session, "new")
    revoked = revoke_api_key(session, "old")
    assert revoked.revoked_at is not None
    assert verify_api_key(session, secret) is None
    assert verify_api_key(session, other) is not None
    states = {k.name: k.active for k in list_api_keys(session)}
    assert states == {"old": False, "new": True}


def test_revoking_an_unknown_key_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        revoke_api_key(session, "nobody")


def test_every_secret_is_different(session: Session) -> None:
    assert create_api_key(session, "a") != create_api_key(session, "b")

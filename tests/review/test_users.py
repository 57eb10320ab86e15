"""Users: argon2 hashes, sign-in, lock-out (also under concurrent failures), sessions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from holding import PASSWORD
from sqlalchemy import select
from sqlalchemy.orm import Session

from fraud.errors import Conflict, InvalidInput
from fraud.review.errors import LockedOut, SignInFailed
from fraud.review.roles import Role
from fraud.review.sessions import csrf_matches, end_session, signed_in, start_session
from fraud.review.users import add_user, authenticate, ensure_first_admin, set_password
from fraud.store.review_tables import review_sessions, users

LOCK = {"max_failures": 3, "lock_for": timedelta(minutes=15)}


def test_passwords_are_stored_as_argon2_hashes_only(session, people):
    stored = session.execute(select(users.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") for h in stored)
    assert all(PASSWORD not in h for h in stored)


def test_sign_in_with_the_right_password_returns_the_user_and_role(session, people):
    user = authenticate(session, "ann", PASSWORD, **LOCK)
    assert (user.username, user.role) == ("ann", Role.ANALYST)


def test_unknown_name_and_wrong_password_fail_alike(session, people):
    with pytest.raises(SignInFailed) as unknown:
        authenticate(session, "nobody", PASSWORD, **LOCK)
    with pytest.raises(SignInFailed) as wrong:
        authenticate(session, "rita", "wrong password!", **LOCK)
    assert unknown.value.message == wrong.value.message


def test_repeated_failures_lock_the_account_even_for_the_right_password(session, people):
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    for _ in range(3):
        with pytest.raises(SignInFailed):
            authenticate(session, "rita", "wrong password!", now=now, **LOCK)
    with pytest.raises(LockedOut, match="locked until 10:15 UTC"):
        authenticate(session, "rita", PASSWORD, now=now, **LOCK)
    later = now + timedelta(minutes=16)
    assert authenticate(session, "rita", PASSWORD, now=later, **LOCK).username == "rita"


def test_a_success_resets_the_failure_count(session, people):
    for _ in range(2):
        with pytest.raises(SignInFailed):
            authenticate(session, "rita", "wrong password!", **LOCK)
    authenticate(session, "rita", PASSWORD, **LOCK)
    for _ in range(2):
        with pytest.raises(SignInFailed):
            authenticate(session, "rita", "wrong password!", **LOCK)
    assert authenticate(session, "rita", PASSWORD, **LOCK).username == "rita"


def test_failures_sent_at_once_all_count_towards_the_lock(engine, people):
    """Six wrong passwords at once from six connections: none is lost to a race."""

    def fail_once(_: int) -> str:
        with Session(engine) as s:
            try:
                authenticate(s, "rob", "wrong password!", max_failures=6,
                             lock_for=timedelta(minutes=15))
            except (SignInFailed, LockedOut) as exc:
                return type(exc).__name__
        return "signed in"

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(fail_once, range(6)))
    assert set(results) == {"SignInFailed"}
    with Session(engine) as s, pytest.raises(LockedOut):
        authenticate(s, "rob", PASSWORD, max_failures=6, lock_for=timedelta(minutes=15))


def test_setting_a_password_lifts_the_lock(session, people):
    for _ in range(3):
        with pytest.raises(SignInFailed):
            authenticate(session, "rita", "wrong password!", **LOCK)
    set_password(session, "rita", "a brand new password")
    assert authenticate(session, "rita", "a brand new password", **LOCK).username == "rita"


def test_user_names_and_passwords_are_checked(session, people):
    with pytest.raises(Conflict):
        add_user(session, "rita", Role.ADMIN, PASSWORD)
    with pytest.raises(InvalidInput, match="user name"):
        add_user(session, "<script>", Role.REVIEWER, PASSWORD)
    with pytest.raises(InvalidInput, match="password"):
        add_user(session, "shorty", Role.REVIEWER, "short")


def test_first_admin_is_created_once_with_a_drawn_password(session):
    password = ensure_first_admin(session)
    assert password and len(password) >= 16
    assert authenticate(session, "admin", password, **LOCK).role is Role.ADMIN
    assert ensure_first_admin(session) is None


def test_sessions_are_stored_hashed_and_end_on_sign_out(session, people):
    token = start_session(session, people["rita"], lasts=timedelta(hours=1))
    assert session.execute(select(review_sessions.c.token_sha256)).scalar_one() != token
    who = signed_in(session, token)
    assert who is not None and who.user.username == "rita"
    assert csrf_matches(who.csrf_token, who.csrf_token)
    assert not csrf_matches(who.csrf_token, "forged")
    assert not csrf_matches(who.csrf_token, None)
    end_session(session, token)
    assert signed_in(session, token) is None


def test_an_expired_session_signs_nobody_in(session, people):
    token = start_session(session, people["rita"], lasts=timedelta(hours=1))
    later = datetime.now(UTC) + timedelta(hours=2)
    assert signed_in(session, token, now=later) is None
    assert signed_in(session, "not a token") is None

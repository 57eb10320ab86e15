"""The webhook that tells the order service about a reviewer's final decision.

A POST of a small JSON body (no personal data: order id, status, who, when) signed with
HMAC-SHA256 over ``"<timestamp>.<body>"`` with a shared secret, in the header
``X-Fraud-Signature: t=<unix time>,v1=<hex>``. Failed calls (network errors, 5xx, 408,
429) are retried with exponential back-off (:mod:`tenacity`); other 4xx answers mean the
receiver refuses the call and are not retried. Every attempt is written to the delivery
log (``webhook_deliveries``), which admins see on the review pages.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_exponential as exponential

from fraud.monitoring.tallies import WEBHOOK_FAILURE, tally
from fraud.review.actions import Done
from fraud.settings import Settings
from fraud.store.review_tables import webhook_deliveries

log = logging.getLogger(__name__)

EVENT = "review.decided"
SIGNATURE_HEADER = "X-Fraud-Signature"
MAX_WAIT_SECONDS = 60.0
RETRIED_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: bytes
    attempts: int = 5
    first_wait_seconds: float = 1.0  # doubles after each failure, at most MAX_WAIT_SECONDS
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Webhook | None:
        if not settings.review_webhook_url or settings.review_webhook_secret is None:
            return None
        return cls(
            settings.review_webhook_url,
            settings.review_webhook_secret.get_secret_value().encode(),
            settings.review_webhook_attempts,
        )


@dataclass(frozen=True)
class Delivery:
    order_id: str
    event: str
    attempt: int
    result: str
    http_status: int | None
    error: str | None
    at: datetime


def body_of(done: Done) -> bytes:
    return json.dumps(
        {
            "event": EVENT,
            "order_id": done.order_id,
            "status": done.state.status.value,
            "by": done.actor,
            "at": done.at.isoformat(),
        },
        separators=(",", ":"),
    ).encode()


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: bytes, header: str, body: bytes, *, tolerance_seconds: int = 300,
           now: float | None = None) -> bool:
    """What a receiver checks: the signature matches and is recent (no replay)."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


class _TryAgain(Exception):
    pass


def deliver(
    hook: Webhook,
    sessions: Callable[[], Session],
    done: Done,
    *,
    client: httpx.Client | None = None,
) -> bool:
    """Call the webhook for ``done`` until it answers 2xx, the receiver refuses, or the
    attempts run out; log every attempt. True when delivered."""
    body = body_of(done)
    own = client is None
    http = client or httpx.Client(timeout=hook.timeout_seconds)
    attempt = 0

    def once() -> bool:
        nonlocal attempt
        attempt += 1
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(hook.secret, int(time.time()), body)}
        try:
            answer = http.post(hook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            _log(sessions, done, attempt, "failed", None, f"{type(exc).__name__}: {exc}")
            raise _TryAgain from exc
        if answer.is_success:
            _log(sessions, done, attempt, "delivered", answer.status_code, None)
            return True
        if answer.status_code >= 500 or answer.status_code in RETRIED_STATUSES:
            _log(sessions, done, attempt, "failed", answer.status_code, None)
            raise _TryAgain
        _log(sessions, done, attempt, "gave_up", answer.status_code, "refused by the receiver")
        return False

    try:
        for step in Retrying(
            stop=stop_after_attempt(hook.attempts),
            wait=exponential(multiplier=hook.first_wait_seconds, max=MAX_WAIT_SECONDS),
            retry=retry_if_exception_type(_TryAgain),
        ):
            with step:
                return once()
    except RetryError:
        _log(sessions, done, attempt, "gave_up", None, f"no success after {attempt} attempts")
        log.warning("webhook for order %s gave up after %d attempts", done.order_id, attempt)
    finally:
        if own:
            http.close()
    return False


def _log(sessions: Callable[[], Session], done: Done, attempt: int, result: str,
         status: int | None, error: str | None) -> None:
    if result != "delivered":
        tally(WEBHOOK_FAILURE, result)
    with sessions() as session:
        session.execute(insert(webhook_deliveries).values(
            order_id=done.order_id, event=EVENT, attempt=attempt, result=result,
            http_status=status, error=(error or "")[:300] or None, at=datetime.now(UTC),
        ))
        session.commit()


def notify_in_background(
    hook: Webhook, sessions: Callable[[], Session], done: Done
) -> threading.Thread:
    """Deliver from a thread: the reviewer's page does not wait for the order service."""
    thread = threading.Thread(target=deliver, args=(hook, sessions, done),
                              name=f"webhook-{done.order_id}", daemon=True)
    thread.start()
    return thread


def recent_deliveries(session: Session, limit: int = 200) -> list[Delivery]:
    rows = session.execute(
        select(webhook_deliveries).order_by(webhook_deliveries.c.id.desc()).limit(limit)
    )
    return [Delivery(r.order_id, r.event, r.attempt, r.result, r.http_status, r.error, r.at)
            for r in rows]

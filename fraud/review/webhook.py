"""The webhook that tells the order service about a reviewer's final decision.

A POST of a small JSON body (no personal data: order id, status, who, when) signed with
HMAC-SHA256 over ``"<timestamp>.<body>"`` with a shared secret, in the header
``X-Fraud-Signature: t=<unix time>,v1=<hex>``. Failed calls (network errors, 5xx, 408,
429) are retried with exponential back-off (:mod:`tenacity`); other 4xx answers mean the
receiver refuses the call and are not retried. Every attempt is written to the delivery
log (``webhook_deliveries``), which admins see on the review pages.

A call is first written to the outbox (``webhook_outbox``) and marked finished only once
delivered or given up: a call in flight when the process stops stays pending there and
is sent again when the service next starts (:func:`resend_pending`). Delivery is
therefore at least once; the receiver recognises a repeat by order id and event.
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
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_exponential as exponential

from fraud.monitoring.tallies import WEBHOOK_FAILURE, tally
from fraud.review.actions import Done
from fraud.settings import Settings
from fraud.store.review_tables import webhook_deliveries, webhook_outbox

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


@dataclass(frozen=True)
class Pending:
    """One call in the outbox: the order it is about and the exact body to send."""

    id: int
    order_id: str
    body: bytes


def enqueue(sessions: Callable[[], Session], done: Done) -> Pending:
    """Write the call for ``done`` to the outbox (committed) before anything is sent."""
    body = body_of(done)
    with sessions() as session:
        row_id = session.execute(
            insert(webhook_outbox).values(order_id=done.order_id, event=EVENT,
                                          body=body.decode(), created_at=datetime.now(UTC))
            .returning(webhook_outbox.c.id)
        ).scalar_one()
        session.commit()
    return Pending(row_id, done.order_id, body)


def pending_calls(session: Session) -> list[Pending]:
    """Calls neither delivered nor given up, oldest first."""
    rows = session.execute(
        select(webhook_outbox.c.id, webhook_outbox.c.order_id, webhook_outbox.c.body)
        .where(webhook_outbox.c.finished_at.is_(None)).order_by(webhook_outbox.c.id)
    )
    return [Pending(r.id, r.order_id, r.body.encode()) for r in rows]


def _finish(sessions: Callable[[], Session], call: Pending) -> None:
    with sessions() as session:
        session.execute(update(webhook_outbox).where(webhook_outbox.c.id == call.id)
                        .values(finished_at=datetime.now(UTC)))
        session.commit()


def deliver(
    hook: Webhook,
    sessions: Callable[[], Session],
    call: Pending,
    *,
    client: httpx.Client | None = None,
) -> bool:
    """Call the webhook with ``call`` until it answers 2xx, the receiver refuses, or the
    attempts run out; log every attempt, then mark the call finished in the outbox.
    True when delivered. A process stopped meanwhile leaves the call pending."""
    body = call.body
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
            _log(sessions, call, attempt, "failed", None, f"{type(exc).__name__}: {exc}")
            raise _TryAgain from exc
        if answer.is_success:
            _log(sessions, call, attempt, "delivered", answer.status_code, None)
            return True
        if answer.status_code >= 500 or answer.status_code in RETRIED_STATUSES:
            _log(sessions, call, attempt, "failed", answer.status_code, None)
            raise _TryAgain
        _log(sessions, call, attempt, "gave_up", answer.status_code, "refused by the receiver")
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
        _log(sessions, call, attempt, "gave_up", None, f"no success after {attempt} attempts")
        log.warning("webhook for order %s gave up after %d attempts", call.order_id, attempt)
    finally:
        if own:
            http.close()
    return False


def _deliver_and_finish(hook: Webhook, sessions: Callable[[], Session], call: Pending) -> None:
    try:
        deliver(hook, sessions, call)
    except Exception:  # the store failed while logging: the call stays pending for later
        log.exception("webhook for order %s not finished", call.order_id)
        return
    _finish(sessions, call)


def _log(sessions: Callable[[], Session], call: Pending, attempt: int, result: str,
         status: int | None, error: str | None) -> None:
    if result != "delivered":
        tally(WEBHOOK_FAILURE, result)
    with sessions() as session:
        session.execute(insert(webhook_deliveries).values(
            order_id=call.order_id, event=EVENT, attempt=attempt, result=result,
            http_status=status, error=(error or "")[:300] or None, at=datetime.now(UTC),
        ))
        session.commit()


def _in_background(hook: Webhook, sessions: Callable[[], Session],
                   call: Pending) -> threading.Thread:
    thread = threading.Thread(target=_deliver_and_finish, args=(hook, sessions, call),
                              name=f"webhook-{call.order_id}", daemon=True)
    thread.start()
    return thread


def notify_in_background(
    hook: Webhook, sessions: Callable[[], Session], done: Done
) -> threading.Thread:
    """Write the call to the outbox, then deliver it from a thread: the reviewer's page
    does not wait for the order service."""
    return _in_background(hook, sessions, enqueue(sessions, done))


def resend_pending(hook: Webhook, sessions: Callable[[], Session]) -> list[threading.Thread]:
    """Send again, each from its own thread, the calls a stopped process left pending."""
    with sessions() as session:
        calls = pending_calls(session)
    if calls:
        log.info("webhook: re-sending %d call(s) left pending by an earlier stop", len(calls))
    return [_in_background(hook, sessions, call) for call in calls]


def recent_deliveries(session: Session, limit: int = 200) -> list[Delivery]:
    rows = session.execute(
        select(webhook_deliveries).order_by(webhook_deliveries.c.id.desc()).limit(limit)
    )
    return [Delivery(r.order_id, r.event, r.attempt, r.result, r.http_status, r.error, r.at)
            for r in rows]

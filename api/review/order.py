"""The order page, and the one form post every reviewer action goes through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import RuntimeDep
from api.review.cases import order_case_context
from api.review.web import FormUserDep, PageForbidden, ReaderDep, render, sign_if_due
from fraud.errors import FraudError, InvalidInput, NotFound
from fraud.review.actions import MAX_REASON_LENGTH, ReviewAction, act
from fraud.review.contacts import Channel, ContactIn, ContactResult
from fraud.review.dossier import KEY_WORDS, dossier
from fraud.review.mail import SmtpServer, letter, send
from fraud.review.queue import next_in_queue
from fraud.review.roles import Permission, can
from fraud.review.sessions import SignedIn
from fraud.review.webhook import Webhook, notify_in_background
from fraud.schema import IDENTIFIER_PATTERN
from fraud.store import repository

router = APIRouter(prefix="/review/orders")

OrderId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]

DONE_WORDS = {
    "claim": "You claimed this order.",
    "release": "You released this order.",
    "approve": "Approved: the order service sees it, and it is labelled legitimate.",
    "cancel": "Cancelled: the order service sees it, and it is labelled fraud.",
    "escalate": "Escalated to a senior.",
    "note": "Note added.",
    "contact": "Contact recorded in the customer's contact log.",
    "email": "Verification e-mail sent; the contact log awaits the reply.",
}


def _page(
    request: Request, runtime: RuntimeDep, user: SignedIn, order_id: str,
    *, status_code: int = 200, error: str | None = None, done: str | None = None,
    reason: str = "",
) -> Response:
    try:
        with runtime.sessions() as session:
            found = dossier(session, order_id)
            following = next_in_queue(session, order_id)
            case_box = order_case_context(session, order_id)
    except NotFound as exc:
        return render(request, "review/error.html", user, status_code=404,
                      title="Not found", message=exc.message)
    return render(
        request, "review/order.html", user, status_code=status_code, d=found, error=error,
        done=DONE_WORDS.get(done or ""), key_words=KEY_WORDS, reason=reason,
        max_reason=MAX_REASON_LENGTH, results=[r.value for r in ContactResult],
        now=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
        can_mail=SmtpServer.from_settings(runtime.settings) is not None,
        next_order=following, **case_box,
    )


def _contact(channel: str, result: str, when: str) -> ContactIn:
    """The contact form's fields; :class:`InvalidInput` names the wrong one. The time is
    read as UTC (the form says so); empty means now."""
    try:
        how = Channel(channel)
    except ValueError:
        raise InvalidInput("channel: phone or email") from None
    try:
        outcome = ContactResult(result)
    except ValueError:
        allowed = ", ".join(r.value for r in ContactResult)
        raise InvalidInput(f"result: one of {allowed}") from None
    try:
        at = datetime.fromisoformat(when) if when.strip() else datetime.now(UTC)
    except ValueError:
        raise InvalidInput("contacted_at: not a date and time") from None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    if at > datetime.now(UTC) + timedelta(minutes=5):
        raise InvalidInput("contacted_at: lies in the future")
    return ContactIn(how, outcome, at)


@router.get("/{order_id}", response_class=HTMLResponse)
def show_order(
    request: Request, order_id: OrderId, runtime: RuntimeDep, user: ReaderDep,
    done: str | None = None,
) -> Response:
    return _page(request, runtime, user, order_id, done=done)


@router.post("/{order_id}/act", response_class=HTMLResponse)
def act_on_order(
    request: Request,
    order_id: OrderId,
    runtime: RuntimeDep,
    user: FormUserDep,
    action: Annotated[str, Form(max_length=40)] = "",
    version: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=MAX_REASON_LENGTH * 4)] = "",
    channel: Annotated[str, Form(max_length=20)] = "",
    result: Annotated[str, Form(max_length=20)] = "",
    contacted_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        what = ReviewAction.parse(action)
        seen = int(version) if version.strip() else None
        contact = _contact(channel, result, contacted_at) if what is ReviewAction.CONTACT else None
        with runtime.sessions() as session:
            done = act(session, user.user, order_id, what, version=seen, reason=reason,
                       contact=contact)
    except ValueError:
        return _page(request, runtime, user, order_id, status_code=422,
                     error="version: not a number; reload the page", reason=reason)
    except (FraudError, InvalidInput) as exc:
        return _page(request, runtime, user, order_id, status_code=exc.status,
                     error=exc.message, reason=reason)
    sign_if_due(runtime)
    hook = Webhook.from_settings(runtime.settings)
    if hook is not None and done.outcome is not None:  # a final decision: tell the shop
        notify_in_background(hook, runtime.sessions, done)
    return RedirectResponse(f"/review/orders/{order_id}?done={what.value}", status_code=303)


@router.post("/{order_id}/verify-email", response_class=HTMLResponse)
def send_verification_email(
    request: Request, order_id: OrderId, runtime: RuntimeDep, user: FormUserDep
) -> Response:
    """Send the verification e-mail, then record it as a contact awaiting the reply."""
    if not can(user.user.role, Permission.ACT):
        raise PageForbidden(f"a {user.user.role.value} may not act")
    try:
        with runtime.sessions() as session:
            stored = repository.get_stored_order(session, order_id)
            if stored is None:
                raise NotFound(f"order {order_id!r} not found")
            message = letter(stored.order, runtime.settings.review_smtp_from or "")
            send(SmtpServer.from_settings(runtime.settings), message)
            sent = ContactIn(Channel.EMAIL, ContactResult.AWAITING_REPLY, datetime.now(UTC))
            act(session, user.user, order_id, ReviewAction.CONTACT, version=None, contact=sent,
                reason=f"verification e-mail sent ({message['Content-Language']})")
    except FraudError as exc:
        return _page(request, runtime, user, order_id, status_code=exc.status, error=exc.message)
    return RedirectResponse(f"/review/orders/{order_id}?done=email", status_code=303)

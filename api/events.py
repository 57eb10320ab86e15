"""POST /v1/events and GET /v1/events/{event_id}: account events (logins, account
changes) and, for logins, their own decision: allow, challenge or block."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.body import StrictJsonRoute
from api.deps import ApiKeyDep, RuntimeDep
from api.errors import error_responses
from api.metrics import observe_account_event
from api.schemas import ReasonOut
from fraud.errors import NotFound
from fraud.events.schema import AccountEvent
from fraud.events.service import EventService
from fraud.runtime import Runtime
from fraud.schema import IDENTIFIER_PATTERN
from fraud.store.event_store import StoredEvent

LOGIN_EXAMPLE: dict[str, Any] = {
    "event_id": "EV-README-2",
    "type": "login_succeeded",
    "account_id": "C-README-7",
    "occurred_at": "2026-11-25T13:57:00+01:00",
    "ip_address": "81.2.69.160",
    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Firefox/133.0",
    "device_id": "dev-new-31c9",
}
ADDRESS_EXAMPLE: dict[str, Any] = {
    "event_id": "EV-README-3",
    "type": "address_added",
    "account_id": "C-README-7",
    "occurred_at": "2026-11-25T14:01:00+01:00",
    "ip_address": "81.2.69.160",
    "device_id": "dev-new-31c9",
    "change": {"address": {"street": "Kerkstraat", "house_number": "12", "postal_code": "1017 GM",
                           "city": "Amsterdam", "country": "NL"}},
}
DECISION_EXAMPLE: dict[str, Any] = {
    # the service's real answer after EV-README-1, a login from home (docs/events.md);
    # tests/api/test_events.py checks it
    "event_id": "EV-README-2",
    "type": "login_succeeded",
    "decision": "challenge",
    "score": 50,
    "reasons": [
        {"code": "new_device", "message": "First login from this device in 90 days (1 earlier "
         "login(s) from other devices).", "value": 1},
        {"code": "new_country", "message": "First login from GB in 90 days (1 earlier login(s) "
         "from elsewhere, the last from NL).", "value": 1},
    ],
    "rules_version": "2026-12-02.1+798d4ca7",
    "stored_at": "2026-12-02T11:07:35.951381Z",
}

EventBody = Annotated[AccountEvent, Body(openapi_examples={
    "login": {"summary": "A login from a new device and country (the README's example)",
              "value": LOGIN_EXAMPLE},
    "address": {"summary": "A delivery address added minutes later", "value": ADDRESS_EXAMPLE},
})]
EventId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]


class EventDecisionOut(BaseModel):
    """What the service made of one account event. The example is a login from a new
    device and country on an account that logged in before."""

    model_config = ConfigDict(json_schema_extra={"examples": [DECISION_EXAMPLE]})

    event_id: str = Field(description="The event's id, as sent")
    type: str = Field(description="The event's type, as sent")
    decision: Literal["allow", "challenge", "block"] | None = Field(
        description="`allow`; `challenge` (ask for a second factor or an e-mail confirmation); "
        "`block`. Null for a type without a rule set (stored as history only)"
    )
    score: int | None = Field(ge=0, le=100, description="0-100 points of the rules that hit")
    reasons: list[ReasonOut] = Field(description="Why, in plain words, strongest first")
    rules_version: str | None = Field(
        description="Version + content hash of the event type's rule set (null: none)"
    )
    stored_at: datetime = Field(description="When the service stored the event")

    @classmethod
    def from_stored(cls, stored: StoredEvent) -> EventDecisionOut:
        decision = stored.decision
        return cls(
            event_id=stored.event_id,
            type=stored.type.value,
            decision=decision.action.value if decision is not None else None,
            score=decision.score if decision is not None else None,
            reasons=[ReasonOut(code=r.code, message=r.message, value=r.value)
                     for r in (decision.reasons if decision is not None else ())],
            rules_version=decision.rules_version if decision is not None else None,
            stored_at=stored.received_at,
        )


router = APIRouter(prefix="/v1/events", tags=["account events"], route_class=StrictJsonRoute)

_ERRORS = error_responses(401, 404, 409, 413, 422, 429, 500, 503)
_ERRORS[409] = {**_ERRORS[409], "description": "The event id was already stored with "
                "different contents: an event id must not be reused (sending the same "
                "event again returns the stored decision)", "content": {"application/json": {
                    "example": {"code": "conflict", "message": "event 'EV-README-2' was "
                                "already stored with different contents; an event id must "
                                "not be reused", "fields": []}}}}
_ERRORS[404] = {**_ERRORS[404], "description": "No event with this id was stored",
                "content": {"application/json": {"example": {
                    "code": "not_found", "message": "event 'EV-README-2' not found",
                    "fields": []}}}}
_lock = threading.Lock()


def events_of(request: Request, runtime: Runtime) -> EventService:
    """The app's event service, made on first use from its runtime."""
    service = getattr(request.app.state, "events", None)
    if service is None:
        with _lock:
            service = getattr(request.app.state, "events", None)
            if service is None:
                service = EventService.from_runtime(runtime)
                request.app.state.events = service
    return service


def _record(runtime: Runtime, service: EventService, event: AccountEvent) -> StoredEvent:
    with runtime.store_call():
        return service.record(event)


def _get(runtime: Runtime, service: EventService, event_id: str) -> StoredEvent | None:
    with runtime.store_call():
        return service.get(event_id)


@router.post(
    "",
    response_model=EventDecisionOut,
    responses={k: v for k, v in _ERRORS.items() if k != 404},
    summary="Report an account event; logins get allow, challenge or block",
    description="Stores a login, failed login, password reset or account change with where "
    "its IP was, and decides on it when its type has a rule set (logins and password reset "
    "requests by default). A repeated `event_id` returns the stored decision unchanged; the "
    "same id with a different event is a 409. Order scoring reads the stored events as the "
    "account's history.",
)
async def post_event(
    event: EventBody, runtime: RuntimeDep, _key: ApiKeyDep, request: Request
) -> EventDecisionOut:
    service = events_of(request, runtime)
    stored = await run_in_threadpool(_record, runtime, service, event)
    if stored.created:
        observe_account_event(
            stored.type.value, stored.decision.action.value if stored.decision else None
        )
    return EventDecisionOut.from_stored(stored)


@router.get(
    "/{event_id}",
    response_model=EventDecisionOut,
    responses={k: v for k, v in _ERRORS.items() if k != 409},
    summary="A stored account event's decision",
)
async def get_event(
    event_id: EventId, runtime: RuntimeDep, _key: ApiKeyDep, request: Request
) -> EventDecisionOut:
    stored = await run_in_threadpool(_get, runtime, events_of(request, runtime), event_id)
    if stored is None:
        raise NotFound(f"event {event_id!r} not found")
    return EventDecisionOut.from_stored(stored)

"""Stored orders and the outcomes the order service reports later."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api.body import StrictJsonRoute
from api.deps import ApiKeyDep, RuntimeDep
from api.errors import error_responses
from api.metrics import observe_outcome
from api.schemas import DecisionOut, OutcomeIn, OutcomeOut, ReviewOut, StoredOrderOut
from fraud.errors import NotFound
from fraud.review.states import get_state
from fraud.runtime import Runtime
from fraud.schema import IDENTIFIER_PATTERN

router = APIRouter(prefix="/v1/orders", tags=["orders"], route_class=StrictJsonRoute)

OrderId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]


@router.get(
    "/{order_id}",
    response_model=StoredOrderOut,
    responses=error_responses(401, 404, 413, 422, 429, 500, 503),
    summary="A stored order with its latest decision and outcomes",
)
async def get_order(order_id: OrderId, runtime: RuntimeDep, _key: ApiKeyDep) -> StoredOrderOut:
    stored = await run_in_threadpool(runtime.get_order, order_id)
    if stored is None:
        raise NotFound(f"order {order_id!r} not found")
    review = await run_in_threadpool(_review_of, runtime, order_id)
    return StoredOrderOut(
        order_id=stored.order_id,
        order=stored.order,
        decision=DecisionOut.from_decision(stored.decision) if stored.decision else None,
        outcomes=[
            OutcomeOut(order_id=o.order_id, outcome=o.outcome, at=o.at) for o in stored.outcomes
        ],
        review=review,
    )


def _review_of(runtime: Runtime, order_id: str) -> ReviewOut | None:
    """The review pages' state of the order, when a reviewer has acted on it."""
    with runtime.sessions() as session:
        state = get_state(session, order_id)
    if state.updated_at is None:
        return None
    return ReviewOut(status=state.status.value, by=state.claimed_by, at=state.updated_at)


@router.post(
    "/{order_id}/outcome",
    response_model=OutcomeOut,
    status_code=201,
    responses=error_responses(401, 404, 413, 422, 429, 500, 503),
    summary="Report what happened to an order later",
    description="`paid`, `refunded`, `chargeback`, `fraud_confirmed` or `legit_confirmed`, with "
    "the time it happened. History signals of later orders use it from that time on.",
)
async def record_outcome(
    order_id: OrderId, body: OutcomeIn, runtime: RuntimeDep, _key: ApiKeyDep
) -> OutcomeOut:
    stored = await run_in_threadpool(runtime.record_outcome, order_id, body.outcome, body.at)
    observe_outcome(stored.outcome)
    return OutcomeOut(order_id=stored.order_id, outcome=stored.outcome, at=stored.at)

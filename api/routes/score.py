"""POST /v1/score: the order service asks for a decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request
from starlette.concurrency import run_in_threadpool

from api.body import StrictJsonRoute
from api.deps import ApiKeyDep, RuntimeDep
from api.errors import error_responses
from api.examples import ORDER
from api.metrics import observe_decision, validation_finished
from api.schemas import DecisionOut
from fraud.schema import Order

OrderBody = Annotated[Order, Body(openapi_examples={"readme": {
    "summary": "The README's example: a new account, a headless browser, a failed 3-D Secure",
    "value": ORDER,
}})]

router = APIRouter(prefix="/v1", tags=["scoring"], route_class=StrictJsonRoute)


@router.post(
    "/score",
    response_model=DecisionOut,
    responses=error_responses(401, 409, 413, 422, 429, 500, 503),
    summary="Score a new order",
    description="Scores the order, stores it with its full decision input, and answers "
    "`approve`, `review` or `decline` with reasons. A repeated `order_id` returns the stored "
    "decision unchanged; the same id with a different order is a 409.",
)
async def score_order(
    order: OrderBody, runtime: RuntimeDep, _key: ApiKeyDep, request: Request
) -> DecisionOut:
    validation_finished(request)
    # The store is synchronous: run it off the event loop so one slow write
    # never stalls other requests (health checks included).
    stored = await run_in_threadpool(runtime.score, order)
    if stored.created:
        observe_decision(stored.decision)
    return DecisionOut.from_decision(stored.decision)

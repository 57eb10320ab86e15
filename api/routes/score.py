"""POST /v1/score: the order service asks for a decision."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import ApiKeyDep, RuntimeDep
from api.schemas import DecisionOut, ErrorOut
from fraud.schema import Order

router = APIRouter(prefix="/v1", tags=["scoring"])


@router.post(
    "/score",
    response_model=DecisionOut,
    responses={401: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut}},
    summary="Score a new order",
    description="Scores the order, stores it with its full decision input, and answers "
    "`approve`, `review` or `decline` with reasons. A repeated `order_id` returns the stored "
    "decision unchanged.",
)
async def score_order(order: Order, runtime: RuntimeDep, _key: ApiKeyDep) -> DecisionOut:
    # The store is synchronous: run it off the event loop so one slow write
    # never stalls other requests (health checks included).
    stored = await run_in_threadpool(runtime.score, order)
    return DecisionOut.from_decision(stored.decision)

"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import RuntimeDep
from api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="The process is alive")
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=HealthOut,
    responses={503: {"model": HealthOut}},
    summary="Ready to score: store reachable, rules loaded; degraded when geo or model is missing",
)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    # the store check blocks: off the event loop, so /healthz answers meanwhile
    status, checks = await run_in_threadpool(runtime.readiness)
    code = 503 if status == "unavailable" else 200
    return JSONResponse(
        status_code=code, content=HealthOut(status=status, checks=checks).model_dump()
    )

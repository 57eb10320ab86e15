"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep
from api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="The process is alive")
async def healthz() -> HealthOut:
    # liveness: never touches the store, so a frozen database does not get the process killed
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=HealthOut,
    responses={503: {"model": HealthOut}},
    summary="Ready to score: store reachable, rules loaded; degraded when geo or model is missing",
)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    # The store is asked on the probe's own thread and waited for on the loop, at most
    # FRAUD_READY_CHECK_SECONDS: not in the shared thread pool, which requests stuck on
    # a frozen store may fill. The rest of the check reads memory only.
    store = await runtime.probe.check_async() if runtime.probe is not None else None
    status, checks = runtime.readiness(store)
    code = 503 if status == "unavailable" else 200
    return JSONResponse(
        status_code=code, content=HealthOut(status=status, checks=checks).model_dump()
    )

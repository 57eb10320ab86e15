"""The operations dashboard for analysts and admins (reviewers get a 403): the page and its
SVG charts. The figures come from :func:`fraud.monitoring.dashboard.build_dashboard`; this
module only picks the window, caches the figures briefly and renders."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

from cachetools import TTLCache
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import RuntimeDep
from api.review.web import DashboardDep, render
from fraud.errors import InvalidInput, NotFound
from fraud.monitoring.charts import CHARTS
from fraud.monitoring.dashboard import Dashboard, build_dashboard, drift_panel
from fraud.runtime import Runtime

router = APIRouter(prefix="/review")

# The page and its seven charts arrive as eight requests within a second: the figures
# are read once and shared. An analyst reloading sees figures at most this old.
CACHE_SECONDS = 30.0
_cache: TTLCache[tuple[int, int, int], Dashboard] = TTLCache(64, CACHE_SECONDS)
# drawn charts too (matplotlib takes a good part of a second per chart on a busy machine);
# keyed by the drift verdict as well, so the drift chart follows the watch
_charts: TTLCache[tuple[object, ...], str] = TTLCache(256, CACHE_SECONDS)
_cache_lock = threading.Lock()
DAYS = (1, 365, 30)  # smallest, largest, default
WEEKS = (1, 52, 8)


def _window(name: str, text: str | None, bounds: tuple[int, int, int]) -> int:
    low, high, default = bounds
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidInput(f"{name}: not a whole number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name}: must be between {low} and {high}")
    return value


def dashboard_for(runtime: Runtime, days: int, weeks: int) -> Dashboard:
    """The store's figures (cached briefly) with the drift watch's verdict of this moment:
    the panel is never older than what ``/readyz`` says."""
    watch = runtime.drift
    panel = drift_panel(
        watch.status() if watch is not None else None,
        watch.report if watch is not None else None,
        watch.checked_at if watch is not None else None,
        runtime.settings.drift_threshold,
    )
    key = (id(runtime), days, weeks)
    with _cache_lock:
        found = _cache.get(key)
    if found is None:
        # like the other review pages, not under the scoring requests' store timeout: on
        # a busy machine the figures of 100,000 orders took longer (docs/operations.md)
        with runtime.sessions() as session:
            found = build_dashboard(session, now=datetime.now(UTC), days=days, weeks=weeks,
                                    drift=panel)
        with _cache_lock:
            _cache[key] = found
    return replace(found, drift=panel)


def forget_cached() -> None:
    """Drop the cached figures (tests; or after a bulk import)."""
    with _cache_lock:
        _cache.clear()
        _charts.clear()


@router.get("/dashboard", response_class=HTMLResponse)
def show_dashboard(request: Request, runtime: RuntimeDep, user: DashboardDep) -> Response:
    params = request.query_params
    try:
        days = _window("days", params.get("days"), DAYS)
        weeks = _window("weeks", params.get("weeks"), WEEKS)
    except InvalidInput as exc:
        return render(request, "review/dashboard.html", user, status_code=422,
                      error=exc.message, board=None, days=DAYS[2], weeks=WEEKS[2])
    board = dashboard_for(runtime, days, weeks)
    return render(request, "review/dashboard.html", user, board=board, days=days, weeks=weeks,
                  charts=list(CHARTS), error=None)


@router.get("/dashboard/charts/{name}.svg")
def show_chart(
    request: Request, name: str, runtime: RuntimeDep, user: DashboardDep
) -> Response:
    draw = CHARTS.get(name)
    if draw is None:
        raise NotFound(f"no chart {name[:40]!r}; charts: {', '.join(CHARTS)}")
    params = request.query_params
    days = _window("days", params.get("days"), DAYS)
    weeks = _window("weeks", params.get("weeks"), WEEKS)
    board = dashboard_for(runtime, days, weeks)
    key = (id(runtime), days, weeks, name, board.drift.status, board.drift.checked_at)
    with _cache_lock:
        svg = _charts.get(key)
    if svg is None:
        svg = draw(board)
        with _cache_lock:
            _charts[key] = svg
    return Response(svg, media_type="image/svg+xml")

"""The queue page: held orders, filtered, searched and paged by keyset."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import RuntimeDep
from api.review.web import ReaderDep, render
from fraud.errors import InvalidInput
from fraud.review.queue import QueueFilter, Sort, StatusFilter, queue_page

router = APIRouter(prefix="/review")


def _number(name: str, text: str | None, kind: type[int] | type[float]) -> float | int | None:
    if text is None or not text.strip():
        return None
    try:
        value = kind(text.strip())
    except ValueError:
        raise InvalidInput(f"{name}: not a number") from None
    if value < 0:
        raise InvalidInput(f"{name}: must not be negative")
    return value


E = TypeVar("E", Sort, StatusFilter)


def _choice(name: str, text: str | None, kind: type[E], default: E) -> E:
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(k.value for k in kind)
        raise InvalidInput(f"{name}: one of {allowed}") from None


def read_filter(params: dict[str, str]) -> QueueFilter:
    """The query string as a :class:`QueueFilter`; :class:`InvalidInput` names the field."""
    return QueueFilter(
        sort=_choice("sort", params.get("sort"), Sort, Sort.NEWEST),
        status=_choice("status", params.get("status"), StatusFilter, StatusFilter.TO_DO),
        reason=params.get("reason") or None,
        country=params.get("country") or None,
        min_amount=_number("min_amount", params.get("min_amount"), float),
        max_amount=_number("max_amount", params.get("max_amount"), float),
        min_score=_number("min_score", params.get("min_score"), int),  # type: ignore[arg-type]
        max_score=_number("max_score", params.get("max_score"), int),  # type: ignore[arg-type]
        search=params.get("q") or None,
        after=params.get("after") or None,
    )


FIELDS = ("sort", "status", "reason", "country", "min_amount", "max_amount",
          "min_score", "max_score", "q")


@router.get("", response_class=HTMLResponse)
def show_queue(
    request: Request,
    runtime: RuntimeDep,
    user: ReaderDep,
) -> Response:
    params = {k: v[:320] for k, v in request.query_params.items() if k in FIELDS + ("after",)}
    try:
        wanted = read_filter(params)
        with runtime.sessions() as session:
            page = queue_page(session, wanted)
    except InvalidInput as exc:
        return render(request, "review/queue.html", user, status_code=422, error=exc.message,
                      rows=(), params=params, next_url=None, reasons=_reason_codes(runtime))
    kept = {k: v for k, v in params.items() if k in FIELDS and v}
    next_url = None
    if page.next_after:
        next_url = "/review?" + urlencode({**kept, "after": page.next_after})
    return render(request, "review/queue.html", user, rows=page.rows, params=params,
                  next_url=next_url, first_page=not wanted.after,
                  first_url="/review?" + urlencode(kept), reasons=_reason_codes(runtime))


def _reason_codes(runtime: RuntimeDep) -> list[str]:
    """The live rules' ids, offered in the reason filter."""
    return sorted(rule.id for rule in runtime.rulebook.current.rules)

"""Case pages: open a case from an order (escalate → "open case"), work it (orders,
status and authority reference, owner, notes), and, for admins, download its export.

Every change goes through :mod:`fraud.cases`, which writes it with its evidence record;
every form carries the session's CSRF token. Reviewers and admins change cases, analysts
read them, only admins download exports (an export is custody and evidence).
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import RuntimeDep
from api.review.web import FormUserDep, PageForbidden, ReaderDep, render, sign_if_due
from fraud.cases import (
    add_note,
    add_orders,
    export_case,
    get_case,
    list_cases,
    open_case,
    set_owner,
    set_status,
    suggest_orders,
)
from fraud.errors import FraudError, InvalidInput
from fraud.review.roles import Permission, can
from fraud.review.sessions import SignedIn
from fraud.schema import IDENTIFIER_PATTERN
from fraud.store.case_store import cases_holding
from fraud.store.case_tables import CASE_STATUSES

router = APIRouter(prefix="/review/cases")

CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
SUGGESTED = 10
_ORDER_ID = re.compile(IDENTIFIER_PATTERN)

DONE_WORDS = {
    "opened": "Case opened; its orders and each change are recorded as evidence.",
    "orders": "Orders added to the case.",
    "status": "Status changed.",
    "owner": "Owner changed.",
    "note": "Note added.",
}


def order_case_context(session: Session, order_id: str) -> dict[str, Any]:
    """What the order page shows about cases: the cases holding the order, and the
    orders linked to it that a new case would suggest."""
    return {
        "order_cases": cases_holding(session, [order_id]),
        "case_suggestions": suggest_orders(session, (order_id,), SUGGESTED),
    }


def _require(user: SignedIn, permission: Permission) -> None:
    if not can(user.user.role, permission):
        what = permission.value.replace("_", " ")
        raise PageForbidden(f"a {user.user.role.value} may not {what}")


def _order_ids(values: list[str]) -> list[str]:
    ids = [v.strip() for v in values if v.strip()]
    bad = next((v for v in ids if len(v) > 64 or not _ORDER_ID.fullmatch(v)), None)
    if bad is not None:
        raise InvalidInput(f"order_id: {bad[:64]!r} is not an order id")
    return list(dict.fromkeys(ids))


@router.get("", response_class=HTMLResponse)
def show_cases(request: Request, runtime: RuntimeDep, user: ReaderDep) -> Response:
    with runtime.sessions() as session:
        cases = list_cases(session)
    return render(request, "review/cases.html", user, cases=cases)


@router.post("", response_class=HTMLResponse)
def open_case_from_order(
    request: Request,
    runtime: RuntimeDep,
    user: FormUserDep,
    title: Annotated[str, Form(max_length=1000)] = "",
    order_id: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Open a case holding the order and the suggested orders the reviewer ticked."""
    _require(user, Permission.ACT)
    try:
        ids = _order_ids(order_id or [])
        if not ids:
            raise InvalidInput("order_id: a case is opened from an order")
        with runtime.sessions() as session:
            case = open_case(session, title, user.user.username, ids)
    except FraudError as exc:
        return render(request, "review/error.html", user, status_code=exc.status,
                      title="Case not opened", message=exc.message)
    sign_if_due(runtime)
    return RedirectResponse(f"/review/cases/{case.id}?done=opened", status_code=303)


def _page(request: Request, runtime: RuntimeDep, user: SignedIn, case_id: int, *,
          status_code: int = 200, done: str | None = None, error: str | None = None) -> Response:
    try:
        with runtime.sessions() as session:
            case = get_case(session, case_id)
            suggestions = suggest_orders(session, case.order_ids, 20)
    except FraudError as exc:
        return render(request, "review/error.html", user, status_code=exc.status,
                      title="Not found", message=exc.message)
    return render(
        request, "review/case.html", user, status_code=status_code, case=case,
        suggestions=suggestions, statuses=CASE_STATUSES, done=DONE_WORDS.get(done or ""),
        error=error, can_export=can(user.user.role, Permission.EXPORT_CASES),
    )


@router.get("/{case_id}", response_class=HTMLResponse)
def show_case(request: Request, case_id: CaseId, runtime: RuntimeDep, user: ReaderDep,
              done: str | None = None) -> Response:
    return _page(request, runtime, user, case_id, done=done)


@router.post("/{case_id}/change", response_class=HTMLResponse)
def change_case(
    request: Request,
    case_id: CaseId,
    runtime: RuntimeDep,
    user: FormUserDep,
    change: Annotated[str, Form(max_length=20)] = "",
    order_id: Annotated[list[str] | None, Form()] = None,
    status: Annotated[str, Form(max_length=20)] = "",
    reference: Annotated[str, Form(max_length=1000)] = "",
    owner: Annotated[str, Form(max_length=1000)] = "",
    note: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    """One form post for every change to a case: ``change`` says which."""
    _require(user, Permission.ACT)
    by = user.user.username
    try:
        with runtime.sessions() as session:
            if change == "orders":
                ids = _order_ids(order_id or [])
                if not ids:
                    raise InvalidInput("order_id: tick at least one order to add")
                add_orders(session, case_id, ids, by)
            elif change == "status":
                set_status(session, case_id, status, by, authority_ref=reference.strip() or None)
            elif change == "owner":
                set_owner(session, case_id, owner, by)
            elif change == "note":
                add_note(session, case_id, by, note)
            else:
                raise InvalidInput("change: one of orders, status, owner, note")
    except FraudError as exc:
        return _page(request, runtime, user, case_id, status_code=exc.status, error=exc.message)
    sign_if_due(runtime)
    return RedirectResponse(f"/review/cases/{case_id}?done={change}", status_code=303)


@router.post("/{case_id}/export")
def download_export(
    request: Request,
    case_id: CaseId,
    runtime: RuntimeDep,
    user: FormUserDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    reference: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Export the case (recorded as custody and as an evidence record) and send the
    bundle as one zip file."""
    _require(user, Permission.EXPORT_CASES)
    if runtime.signer is None:
        return _page(request, runtime, user, case_id, status_code=503,
                     error="no signing key is loaded: the bundle cannot be signed")
    with tempfile.TemporaryDirectory(prefix="case-export-") as tmp:
        folder = FilePath(tmp) / f"case-{case_id}"
        try:
            with runtime.sessions() as session:
                export_case(session, case_id, folder, runtime.signer, by=user.user.username,
                            reason=reason, reference=reference.strip() or None)
        except FraudError as exc:
            return _page(request, runtime, user, case_id, status_code=exc.status,
                         error=exc.message)
        data = _zipped(folder)
    sign_if_due(runtime)
    return Response(
        data, media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="case-{case_id}.zip"'},
    )


def _zipped(folder: FilePath) -> bytes:
    """The bundle's files in one zip, under a folder named like the bundle."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder)}")
    return buffer.getvalue()

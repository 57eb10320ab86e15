"""Admin pages: users and roles, the webhook's delivery log; the audit log (analysts may
read it too)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import RuntimeDep
from api.review.web import AdminDep, ReaderDep, render
from fraud.review.audit import recent_entries
from fraud.review.roles import GRANTS
from fraud.review.users import list_users
from fraud.review.webhook import Webhook, recent_deliveries

router = APIRouter(prefix="/review")


@router.get("/admin/users", response_class=HTMLResponse)
def show_users(request: Request, runtime: RuntimeDep, user: AdminDep) -> Response:
    with runtime.sessions() as session:
        people = list_users(session)
    grants = {role.value: sorted(p.value for p in perms) for role, perms in GRANTS.items()}
    return render(request, "review/users.html", user, people=people, grants=grants,
                  now=datetime.now(UTC))


@router.get("/audit", response_class=HTMLResponse)
def show_audit(
    request: Request, runtime: RuntimeDep, user: ReaderDep, before: int | None = None
) -> Response:
    with runtime.sessions() as session:
        entries = recent_entries(session, before_id=before, limit=100)
    older = f"/review/audit?before={entries[-1].id}" if len(entries) == 100 else None
    return render(request, "review/audit.html", user, entries=entries, older=older)


@router.get("/admin/webhooks", response_class=HTMLResponse)
def show_webhook_log(request: Request, runtime: RuntimeDep, user: AdminDep) -> Response:
    with runtime.sessions() as session:
        deliveries = recent_deliveries(session)
    configured = Webhook.from_settings(runtime.settings) is not None
    return render(request, "review/webhooks.html", user, deliveries=deliveries,
                  configured=configured)

"""Sign in and sign out. The session cookie is HttpOnly, SameSite=Strict and, when the
page came over HTTPS, Secure; the session itself lives in the store."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import RuntimeDep
from api.review.web import COOKIE, FormUserDep, render
from fraud.errors import FraudError
from fraud.review.sessions import csrf_matches, end_session, start_session
from fraud.review.users import authenticate

router = APIRouter(prefix="/review")

LOGIN_CSRF_COOKIE = "review_login_csrf"


def safe_next(target: str | None) -> str:
    """Only a path of the review pages: never an open redirect to another site."""
    if target and target.startswith("/review") and not target.startswith("//"):
        return target
    return "/review"


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/review",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


@router.get("/login", response_class=HTMLResponse)
def show_login(request: Request, next: str = "/review") -> Response:  # noqa: A002
    token = secrets.token_urlsafe(24)
    page = render(request, "review/login.html", None, csrf_token=token, next=safe_next(next))
    _set_cookie(page, request, LOGIN_CSRF_COOKIE, token, 3600)
    return page


@router.post("/login", response_class=HTMLResponse)
def sign_in(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/review",  # noqa: A002
) -> Response:
    settings = runtime.settings

    def again(message: str, status: int) -> Response:
        token = secrets.token_urlsafe(24)
        page = render(request, "review/login.html", None, status_code=status,
                      csrf_token=token, next=safe_next(next), error=message, username=username)
        _set_cookie(page, request, LOGIN_CSRF_COOKIE, token, 3600)
        return page

    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return again("The form expired: please sign in again.", 403)
    try:
        with runtime.sessions() as session:
            user = authenticate(
                session, username.strip(), password,
                max_failures=settings.review_max_failed_logins,
                lock_for=timedelta(minutes=settings.review_lockout_minutes),
            )
            lasts = timedelta(hours=settings.review_session_hours)
            token = start_session(session, user, lasts=lasts)
    except FraudError as exc:
        return again(exc.message, exc.status)
    response = RedirectResponse(safe_next(next), status_code=303)
    _set_cookie(response, request, COOKIE, token, int(lasts.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/review")
    return response


@router.post("/logout")
def sign_out(request: Request, runtime: RuntimeDep, _user: FormUserDep) -> Response:
    with runtime.sessions() as session:
        end_session(session, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/review/login", status_code=303)
    response.delete_cookie(COOKIE, path="/review")
    return response

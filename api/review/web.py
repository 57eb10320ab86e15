"""What every review page shares: the templates (autoescaped), who is signed in, the
CSRF check on form posts, and the errors a page turns into a redirect or an HTML page."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import RuntimeDep
from fraud.evidence import checkpoint_if_due
from fraud.review.errors import Forbidden
from fraud.review.roles import Permission, can, require
from fraud.review.sessions import SignedIn, csrf_matches, signed_in
from fraud.runtime import Runtime

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
COOKIE = "review_session"

# Characters that reorder the text around them (a right-to-left override makes
# "gpj.exe" read "exe.jpg"): shown as a visible code instead of taking effect.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


def visible_bidi(value: object) -> object:
    """Every value a template prints passes here (``finalize``), before escaping."""
    if isinstance(value, str) and _BIDI_CONTROLS.search(value):
        return _BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", value)
    return value


# Autoescaping on for every template, whatever its file name: customer fields are
# written by fraudsters.
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=visible_bidi,
)


def flag(country: str | None) -> str:
    """'NL' -> the flag emoji (two regional indicator letters); anything else as is."""
    if not country or len(country) != 2 or not country.isascii() or not country.isalpha():
        return country or ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in country.upper())


def euros(value: float | None) -> str:
    return "–" if value is None else f"€{value:,.2f}"


def shown(value: object) -> str:
    """A feature value in words: yes/no, numbers without trailing noise, '–' for none."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


_env.filters.update(flag=flag, euros=euros, shown=shown)
templates = Jinja2Templates(env=_env)


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class PageForbidden(Exception):
    """Signed in, but the role may not do this: an HTML 403."""

    def __init__(self, message: str) -> None:
        self.message = message


def login_url(next_url: str) -> str:
    return "/review/login?next=" + quote(next_url, safe="/")


def current_user(request: Request, runtime: RuntimeDep) -> SignedIn:
    token = request.cookies.get(COOKIE, "")
    with runtime.sessions() as session:
        user = signed_in(session, token)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return user


UserDep = Annotated[SignedIn, Depends(current_user)]


def reader(user: UserDep) -> SignedIn:
    _require(user, Permission.READ)
    return user


def admin(user: UserDep) -> SignedIn:
    _require(user, Permission.MANAGE_USERS)
    return user


def _require(user: SignedIn, permission: Permission) -> None:
    try:
        require(user.user.role, permission)
    except Forbidden as exc:
        raise PageForbidden(exc.message) from None


def dashboard_viewer(user: UserDep) -> SignedIn:
    _require(user, Permission.SEE_DASHBOARD)
    return user


ReaderDep = Annotated[SignedIn, Depends(reader)]
DashboardDep = Annotated[SignedIn, Depends(dashboard_viewer)]
AdminDep = Annotated[SignedIn, Depends(admin)]


def checked_form(user: UserDep, csrf_token: Annotated[str, Form()] = "") -> SignedIn:
    """A form post by a signed-in user carrying its session's CSRF token."""
    if not csrf_matches(user.csrf_token, csrf_token):
        raise PageForbidden("the form's security token is missing or stale: reload the page")
    return user


FormUserDep = Annotated[SignedIn, Depends(checked_form)]


def age(since: datetime, now: datetime | None = None) -> str:
    """'3 min', '5 h', '2 d': how long ago, in the queue's few characters."""
    delta = (now or datetime.now(UTC)) - since
    if delta < timedelta(hours=1):
        return f"{max(0, int(delta.total_seconds() // 60))} min"
    if delta < timedelta(days=2):
        return f"{int(delta.total_seconds() // 3600)} h"
    return f"{delta.days} d"


def render(
    request: Request,
    name: str,
    user: SignedIn | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    base = {
        "user": user,
        "can_act": user is not None and can(user.user.role, Permission.ACT),
        "is_admin": user is not None and can(user.user.role, Permission.MANAGE_USERS),
        "sees_dashboard": user is not None and can(user.user.role, Permission.SEE_DASHBOARD),
        "age": age,
    }
    return templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status_code
    )


def sign_if_due(runtime: Runtime) -> None:
    """A signed evidence checkpoint when N records were appended since the last one:
    reviewer actions, case changes and erasures append records outside the scoring path,
    which signs every N of its own. A checkpoint missed is caught up by the next one."""
    try:
        with runtime.sessions() as session:
            checkpoint_if_due(session, runtime.signer, runtime.settings.evidence_checkpoint_every)
    except Exception:
        log.exception("evidence checkpoint not written")

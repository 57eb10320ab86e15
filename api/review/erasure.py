"""The admin erasure page: erase a customer's personal data by e-mail or customer id.

It calls :func:`fraud.privacy.erase_customer`, which refuses under a legal hold (the
customer is linked to a case that is not closed), records the refused request and names
the case; the page shows that message. Admins only; the form carries the CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import RuntimeDep
from api.review.web import FormUserDep, PageForbidden, ReaderDep, render, sign_if_due
from fraud.errors import FraudError, InvalidInput
from fraud.privacy.erase import erase_customer
from fraud.review.roles import Permission, can
from fraud.review.sessions import SignedIn

router = APIRouter(prefix="/review/admin")


def _require(user: SignedIn) -> None:
    if not can(user.user.role, Permission.ERASE_DATA):
        raise PageForbidden(f"a {user.user.role.value} may not erase personal data")


@router.get("/erase", response_class=HTMLResponse)
def show_erasure(request: Request, user: ReaderDep) -> Response:
    _require(user)
    return render(request, "review/erase.html", user, email="", customer_id="")


@router.post("/erase", response_class=HTMLResponse)
def erase(
    request: Request,
    runtime: RuntimeDep,
    user: FormUserDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    customer_id: Annotated[str, Form(max_length=1000)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    _require(user)
    email, customer_id = email.strip(), customer_id.strip()
    try:
        if confirm != "yes":
            raise InvalidInput("confirm: tick the box to confirm the erasure")
        if bool(email) == bool(customer_id):
            raise InvalidInput("email, customer_id: give one of the two, not both")
        with runtime.sessions() as session:
            done = erase_customer(session, email=email or None,
                                  account_id=customer_id or None, by=user.user.username)
    except FraudError as exc:
        return render(request, "review/erase.html", user, status_code=exc.status,
                      error=exc.message, email=email, customer_id=customer_id)
    sign_if_due(runtime)
    words = (f"Erased: {done.orders} orders pseudonymised, {done.customers} evidence keys "
             f"destroyed, {done.sealed_parts} sealed parts deleted; recorded as evidence "
             f"record {done.evidence_seq}.")
    return render(request, "review/erase.html", user, done=words, email="", customer_id="")

"""Erasing a customer on request, unless a legal hold applies.

A customer is found by e-mail (normalised as the linking keys are; with the
orders of every shop account that used the address) or by shop account.
Erasure pseudonymises their stored orders and decisions
(:mod:`fraud.privacy.pseudonym`), deletes the sealed personal parts of their
evidence records and destroys their evidence keys; the records' hashed bodies
are untouched, so the chain still verifies. Their accounts' events (logins, account
changes) are deleted. The erasure is itself recorded, without the erased data. When one
of their orders is in a case that is not closed, nothing is erased: the refusal is
recorded and :class:`LegalHold` names the case.

Erasure first takes the chain's head lock, which every case change also takes (it
appends a record): an order added to a case is either seen by the legal hold check
or added after the erasure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from fraud.errors import Conflict, InvalidInput, NotFound
from fraud.evidence import append
from fraud.evidence.chain import lock_chain
from fraud.keys import normalise_email
from fraud.privacy.pseudonym import token
from fraud.privacy.scrub import pseudonymise_orders
from fraud.store import case_store, event_store, privacy_store


class LegalHold(Conflict):
    """The customer is linked to a case that is not closed."""

    def __init__(self, message: str, case_ids: list[int]) -> None:
        super().__init__(message)
        self.case_ids = case_ids


@dataclass(frozen=True)
class Erasure:
    orders: int
    customers: int
    sealed_parts: int
    evidence_seq: int
    account_events: int = 0


def erase_customer(
    session: Session,
    *,
    email: str | None = None,
    account_id: str | None = None,
    by: str,
    now: datetime | None = None,
) -> Erasure:
    """Erase the customer with this e-mail or account (exactly one), and commit."""
    if (email is None) == (account_id is None):
        raise InvalidInput("give either an e-mail address or a customer (account) id")
    at = now or datetime.now(UTC)
    lock_chain(session)
    identities = (
        [f"email:{normalise_email(email)}"] if email is not None else [f"account:{account_id}"]
    )
    order_ids = privacy_store.orders_of(
        session,
        email_key=normalise_email(email) if email is not None else None,
        account_id=account_id,
    )
    if email is not None:  # the accounts that used the address are the same customer's
        for account in privacy_store.accounts_of(session, order_ids):
            identities.append(f"account:{account}")
            order_ids += privacy_store.orders_of(session, account_id=account)
        order_ids = list(dict.fromkeys(order_ids))
    customers = privacy_store.customers_of(session, order_ids, identities)
    accounts = sorted({i.removeprefix("account:") for i in identities if i.startswith("account:")})
    events = event_store.count_account_events(session.connection(), accounts)
    if not order_ids and not customers and not events:
        session.rollback()
        raise NotFound("no data is stored for that customer")
    held = [case_id for case_id, status in case_store.cases_holding(session, order_ids)
            if status != "closed"]
    if held:
        append(session, kind="erasure_refused", subject="privacy", actor=by, at=at,
               data={"reason": "legal hold", "cases": held, "orders": len(order_ids)})
        session.commit()
        names = ", ".join(f"case {c}" for c in held)
        raise LegalHold(
            f"not erased: the customer's orders are in {names}, which is not closed "
            "(legal hold); the request was recorded",
            held,
        )
    pseudonymise_orders(session, order_ids)
    sealed = privacy_store.forget_sealed(session, order_ids, sorted(customers))
    privacy_store.destroy_keys(session, sorted(customers), at, token())
    deleted = event_store.delete_account_events(session.connection(), accounts)
    record = append(
        session, kind="erasure", subject="privacy", actor=by, at=at,
        data={"orders": len(order_ids), "customers": sorted(customers),
              "sealed_parts": sealed, "account_events": deleted},
    )
    session.commit()
    return Erasure(len(order_ids), len(customers), sealed, record.seq, deleted)

"""The customer's right of access: everything stored about them, as JSON.

Found by e-mail (normalised). Holds each order as received, its decision with the
reasons in words, its outcomes, the personal parts of its evidence records, and the
account events (logins, account changes) of the accounts the orders were placed on.
Cases are not included: whether an ongoing investigation must be disclosed is the
shop's decision, not this tool's. The request is recorded as evidence (without
the data).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from fraud.errors import NotFound
from fraud.evidence import append
from fraud.evidence.reading import records_about
from fraud.evidence.sealing import opened_data
from fraud.keys import normalise_email
from fraud.store import event_store, privacy_store
from fraud.store.codecs import decision_to_dict
from fraud.store.repository import get_stored_order


def export_customer_data(
    session: Session, email: str, *, by: str, now: datetime | None = None
) -> dict[str, Any]:
    """The customer's data as a JSON-able dict; records the request and commits."""
    at = now or datetime.now(UTC)
    order_ids = privacy_store.orders_of(session, email_key=normalise_email(email))
    if not order_ids:
        raise NotFound("no data is stored for that e-mail address")
    orders = []
    for order_id in order_ids:
        stored = get_stored_order(session, order_id)
        if stored is None:
            continue
        orders.append({
            "order": stored.order,
            "decision": decision_to_dict(stored.decision) if stored.decision else None,
            "outcomes": [
                {"outcome": o.outcome.value, "at": o.at.isoformat()} for o in stored.outcomes
            ],
        })
    evidence = [
        {"record": r.seq, "kind": r.kind, "at": r.at.isoformat(),
         "personal_data": opened_data(r.sealed.encode())}
        for r in records_about(session, [f"order:{o}" for o in order_ids], open_sealed=True)
        if r.sealed is not None
    ]
    events = event_store.events_for_export(
        session.connection(), privacy_store.accounts_of(session, order_ids)
    )
    append(session, kind="access_export", subject="privacy", actor=by, at=at,
           data={"orders": len(orders), "records": len(evidence), "account_events": len(events)})
    session.commit()
    return {"exported_at": at.isoformat(), "orders": orders, "evidence_records": evidence,
            "account_events": events}

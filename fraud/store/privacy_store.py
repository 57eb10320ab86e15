"""Finding and pseudonymising a customer's rows (for :mod:`fraud.privacy`).

Nothing here commits: erasure and purge write their evidence record in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from fraud.store.case_tables import case_orders
from fraud.store.evidence_tables import evidence_customers, evidence_sealed
from fraud.store.review_tables import contact_keys, verification_contacts
from fraud.store.tables import decisions, order_keys, orders, shadow_decisions

# Linking keys of an erased order. The schema refuses control characters in every text
# field, so no order can ever produce a key starting with U+001F: an erased order is
# told apart from one whose customer typed "erased:..." as their e-mail.
ERASED_KEY_PREFIX = "\x1ferased:"


def orders_of(session: Session, *, email_key: str | None = None,
              account_id: str | None = None) -> list[str]:
    """Order ids of a customer, by normalised e-mail or by account (erased ones excluded)."""
    conditions = []
    if email_key is not None:
        conditions.append(orders.c.email_key == email_key)
    if account_id is not None:
        conditions.append(orders.c.account_id == account_id)
    if not conditions:
        return []
    rows = session.execute(
        select(orders.c.order_id).where(or_(*conditions)).order_by(orders.c.created_at)
    )
    return [r.order_id for r in rows]


def accounts_of(session: Session, order_ids: Sequence[str]) -> list[str]:
    """The shop accounts these orders were placed on."""
    if not order_ids:
        return []
    rows = session.execute(
        select(orders.c.account_id)
        .where(orders.c.order_id.in_(list(order_ids)), orders.c.account_id.is_not(None))
        .distinct()
    )
    return sorted(r.account_id for r in rows)


def customers_of(session: Session, order_ids: Sequence[str], identities: Sequence[str]) -> set[str]:
    """Evidence customer ids whose sealed parts belong to these orders or identities."""
    found: set[str] = set()
    if order_ids:
        found.update(session.execute(
            select(evidence_sealed.c.customer_id)
            .where(evidence_sealed.c.order_id.in_(list(order_ids))).distinct()
        ).scalars())
    if identities:
        found.update(session.execute(
            select(evidence_customers.c.id)
            .where(evidence_customers.c.identity.in_(list(identities)))
        ).scalars())
    return found


def order_rows(session: Session, order_ids: Sequence[str]) -> list[Any]:
    return list(session.execute(
        select(orders.c.order_id, orders.c.order_json).where(orders.c.order_id.in_(order_ids))
    ))


def decision_rows(session: Session, order_ids: Sequence[str], table: Any = decisions) -> list[Any]:
    cols = [table.c.id, table.c.order_id, table.c.rule_hits]
    if table is decisions:
        cols += [table.c.features, table.c.reasons]
    return list(session.execute(select(*cols).where(table.c.order_id.in_(order_ids))))


def write_pseudonymised_order(
    session: Session, order_id: str, order_json: dict[str, Any], tag: str, account: str | None
) -> None:
    erased = ERASED_KEY_PREFIX + tag
    session.execute(
        update(orders).where(orders.c.order_id == order_id).values(
            order_json=order_json, account_id=account, ip_key=erased, email_key=erased,
            phone_key=None, device_key=None, address_key=erased, card_key=None,
        )
    )
    # the history look-ups start from these rows: without them nothing links here
    session.execute(delete(order_keys).where(order_keys.c.order_id == order_id))
    # the contact log: a guest's customer key is their e-mail address, and the reason may
    # quote them; a denial's keys stop linking, like the order's own
    session.execute(delete(contact_keys).where(contact_keys.c.order_id == order_id))
    session.execute(
        update(verification_contacts).where(verification_contacts.c.order_id == order_id)
        .values(customer_key=erased, reason="[erased]")
    )


def write_decision(session: Session, row_id: int, table: Any = decisions,
                   **values: Any) -> None:
    session.execute(update(table).where(table.c.id == row_id).values(**values))


def forget_sealed(session: Session, order_ids: Sequence[str], customers: Sequence[str]) -> int:
    """Delete the sealed personal parts of these orders and customers; how many."""
    conditions = []
    if order_ids:
        conditions.append(evidence_sealed.c.order_id.in_(list(order_ids)))
    if customers:
        conditions.append(evidence_sealed.c.customer_id.in_(list(customers)))
    if not conditions:
        return 0
    result = session.execute(delete(evidence_sealed).where(or_(*conditions)))
    return int(getattr(result, "rowcount", 0) or 0)


def destroy_keys(session: Session, customers: Sequence[str], now: datetime, tag: str) -> None:
    """Forget the customers' keys and who they were."""
    for i, customer in enumerate(sorted(customers)):
        session.execute(
            update(evidence_customers).where(evidence_customers.c.id == customer).values(
                key=None, identity=f"{ERASED_KEY_PREFIX}{tag}-{i}", erased_at=now
            )
        )


def orders_to_purge(session: Session, before: datetime, limit: int) -> list[str]:
    """Orders placed before ``before``, in no case, not yet pseudonymised."""
    rows = session.execute(
        select(orders.c.order_id)
        .where(
            orders.c.created_at < before,
            ~orders.c.email_key.startswith(ERASED_KEY_PREFIX),
            orders.c.order_id.not_in(select(case_orders.c.order_id)),
        )
        .order_by(orders.c.created_at, orders.c.order_id)
        .limit(limit)
    )
    return [r.order_id for r in rows]


SHADOW = shadow_decisions
"""Shadow decisions quote orders as the live ones do: scrubbed alike."""

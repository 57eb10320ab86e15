"""Retention: pseudonymise orders older than the retention period that are in no case.

Their decisions keep score, action and reason codes and their evidence records
stay (the chain verifies); their personal data and the sealed personal parts of
their records go. Customer keys stay (the customer may have newer orders). Runs in
batches, one transaction and one evidence record each. Account events older than the
period are deleted at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from fraud.evidence import append
from fraud.evidence.chain import lock_chain, time_text
from fraud.privacy.scrub import pseudonymise_orders
from fraud.store import event_store, privacy_store

BATCH = 500


@dataclass(frozen=True)
class Purged:
    orders: int
    cutoff: datetime
    account_events: int = 0


def purge(
    session: Session, retention_days: int, *, now: datetime | None = None,
    by: str = "retention", batch: int = BATCH,
) -> Purged:
    """Pseudonymise every order placed more than ``retention_days`` before ``now``."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    total = 0
    while True:
        lock_chain(session)  # a case change cannot slip in between choosing and erasing
        order_ids = privacy_store.orders_to_purge(session, cutoff, batch)
        if not order_ids:
            session.rollback()
            break
        pseudonymise_orders(session, order_ids)
        sealed = privacy_store.forget_sealed(session, order_ids, [])
        append(session, kind="retention_purge", subject="privacy", actor=by, at=now,
               data={"orders": len(order_ids), "placed_before": time_text(cutoff),
                     "sealed_parts": sealed})
        session.commit()
        total += len(order_ids)
    events = event_store.delete_events_before(session.connection(), cutoff)
    session.commit()
    return Purged(total, cutoff, events)

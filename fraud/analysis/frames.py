"""The store as a pandas frame: one row per order with its decision, outcomes and features."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


def _session_of(source: Engine | Session) -> tuple[Session, bool]:
    from sqlalchemy.orm import Session

    if isinstance(source, Session):
        return source, False
    return Session(source), True


def orders_frame(
    source: Engine | Session,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Stored orders created in ``[since, until)`` with their latest decision, outcomes
    and the features the decision was made on, one row per order (index ``order_id``).

    Columns: ``created_at`` (UTC), ``account_id``, ``currency``; the decision's
    ``score``, ``action``, ``model_probability``, ``rules_version``, ``model_version``,
    ``rule_hits`` and ``reason_codes`` (tuples of ids), ``signals_unavailable``;
    the outcomes: ``outcomes`` (tuple, oldest first), ``last_outcome``,
    ``is_fraud`` (a chargeback or confirmed fraud was reported) and
    ``fraud_reported_at``; then one column per stored feature.
    Orders stored without a decision have empty decision columns.
    """
    from fraud.store.repository import find_decision, iter_orders

    session, owned = _session_of(source)
    rows: list[dict[str, Any]] = []
    try:
        for order, outcomes in iter_orders(session, since, until):
            stored = find_decision(session, order.order_id)
            fraud_at = [o.at for o in outcomes if o.outcome.is_fraud]
            row: dict[str, Any] = {
                "order_id": order.order_id,
                "created_at": order.created_at,
                "account_id": order.customer.account_id,
                "currency": str(order.payment.currency),
                "score": None, "action": None, "model_probability": None,
                "rules_version": None, "model_version": None,
                "rule_hits": (), "reason_codes": (), "signals_unavailable": (),
                "outcomes": tuple(o.outcome.value for o in outcomes),
                "last_outcome": outcomes[-1].outcome.value if outcomes else None,
                "is_fraud": bool(fraud_at),
                "fraud_reported_at": min(fraud_at) if fraud_at else None,
            }
            if stored is not None:
                d = stored.decision
                row.update(
                    score=d.score, action=d.action.label, model_probability=d.model_probability,
                    rules_version=d.versions.rules, model_version=d.versions.model,
                    rule_hits=tuple(h.rule_id for h in d.rule_hits if h.status == "hit"),
                    reason_codes=tuple(r.code for r in d.reasons),
                    signals_unavailable=d.signals_unavailable,
                )
                row.update({k: v for k, v in stored.features.items() if k not in row})
            rows.append(row)
    finally:
        if owned:
            session.close()
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["created_at", "score", "action", "is_fraud"],
                            index=pd.Index([], name="order_id"))
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["fraud_reported_at"] = pd.to_datetime(frame["fraud_reported_at"], utc=True)
    return frame.set_index("order_id")


def add_truth(frame: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the simulator's ground truth joined by order id: ``pattern``
    (``none`` for honest orders), ``honest_quirk`` and ``is_fraud_truth``.

    Ground truth is for understanding and evaluation only; it never trains anything.
    Orders missing from ``truth`` get ``pattern`` ``unknown``.
    """
    table = truth.assign(order_id=truth["order_id"].astype(str)).set_index("order_id")
    out = frame.copy()
    out["pattern"] = table["pattern"].reindex(out.index).fillna("unknown").astype(str)
    if "honest_quirk" in table:
        out["honest_quirk"] = table["honest_quirk"].reindex(out.index).fillna("unknown")
    out["is_fraud_truth"] = table["is_fraud"].reindex(out.index).fillna(False).astype(bool)
    return out

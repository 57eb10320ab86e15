"""Pseudonymising stored orders and their decisions (erasure and retention share it)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from fraud.privacy.pseudonym import (
    personal_strings,
    pseudonymised_order,
    scrubbed_features,
    scrubbed_reasons,
    scrubbed_rule_hits,
    token,
)
from fraud.store import privacy_store
from fraud.store.repository import order_from_json


def pseudonymise_orders(session: Session, order_ids: Sequence[str]) -> None:
    """Replace the personal data of these orders, their decisions and shadow decisions."""
    if not order_ids:
        return
    decisions = {r.order_id: r for r in privacy_store.decision_rows(session, order_ids)}
    shadows: dict[str, list] = {}
    for r in privacy_store.decision_rows(session, order_ids, privacy_store.SHADOW):
        shadows.setdefault(r.order_id, []).append(r)
    for row in privacy_store.order_rows(session, order_ids):
        decision = decisions.get(row.order_id)
        strings = personal_strings(
            order_from_json(row.order_json), decision.features if decision else None
        )
        tag = token()
        erased = pseudonymised_order(row.order_json, tag)
        privacy_store.write_pseudonymised_order(
            session, row.order_id, erased, tag, erased["customer"].get("account_id")
        )
        if decision is not None:
            privacy_store.write_decision(
                session, decision.id,
                features=scrubbed_features(decision.features),
                reasons=scrubbed_reasons(decision.reasons, strings),
                rule_hits=scrubbed_rule_hits(decision.rule_hits, strings),
            )
        for shadow in shadows.get(row.order_id, []):
            privacy_store.write_decision(
                session, shadow.id, privacy_store.SHADOW,
                rule_hits=scrubbed_rule_hits(shadow.rule_hits, strings),
            )

"""Orders held for review, stored through the real write path (save_decision)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from factories import make_order

from fraud.domain import Action, Decision, Reason, RuleResult, Versions
from fraud.store import repository

PASSWORD = "correct horse battery"  # noqa: S105 - a test password
VERSIONS = Versions(rules="test-rules", model="none", service="test")


def decision_for(order_id: str, score: int = 60, action: Action = Action.REVIEW,
                 codes: tuple[str, ...] = ("ip_far_from_billing",)) -> Decision:
    reasons = tuple(
        Reason(code, f"words for {code}", value=1, points=20.0, source="rule") for code in codes
    )
    hits = tuple(RuleResult(code, "hit", "points", 20.0, f"words for {code}") for code in codes)
    return Decision(order_id, score, action, reasons, hits, (), VERSIONS)


def hold(session: Any, *, score: int = 60, action: Action = Action.REVIEW,
         codes: tuple[str, ...] = ("ip_far_from_billing",), decided_at: datetime | None = None,
         features: dict[str, Any] | None = None, **overrides: Any) -> str:
    """Store an order whose decision is ``action`` (review by default); its id."""
    order = make_order(**overrides)
    repository.save_decision(
        session, order, decision_for(order.order_id, score, action, codes),
        features or {"account_age_days": 100, "ip_country": "NL"},
        now=decided_at or datetime.now(UTC) - timedelta(minutes=5),
    )
    return order.order_id

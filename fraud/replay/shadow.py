"""Shadow mode: a candidate rule set decides every live order, but never acts.

Before a new rule set is promoted it runs beside the live one on real traffic.
For every order the live pipeline scores, :class:`ShadowRunner` decides the
same order's assessment (the live one, :class:`fraud.scoring.Assessment`) with
the candidate rules through :func:`fraud.scoring.decide_on`, the second step of
live scoring, and the result is stored apart in ``shadow_decisions``
(:mod:`fraud.store.shadow`). The order service only ever sees the live decision.

Features, model probability and unavailable signals are the live assessment's:
they depend on the order and the context only, so computing them again would
give the same values at twice the cost.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fraud.domain import Decision
from fraud.rules.ruleset import RuleSet, load_rules
from fraud.schema import Order
from fraud.scoring import Scored, assess, decide_on, thresholds_from
from fraud.signals import Context

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from fraud.store.shadow import ShadowDecision

log = logging.getLogger(__name__)


class ShadowRunner:
    """Decides orders with a candidate rule set, beside the live one.

    ``evaluate`` returns the decision the candidate would have made;
    ``record`` also stores it and never raises, so a broken shadow can never
    disturb live scoring.
    """

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset

    @classmethod
    def from_path(cls, path: str | Path) -> ShadowRunner:
        """A runner for the rules file at ``path`` (raises RulesError if it is invalid)."""
        return cls(load_rules(path))

    @property
    def version(self) -> str:
        return self.ruleset.version

    def evaluate(self, order: Order, ctx: Context, live: Scored | None = None) -> Decision:
        """The candidate's decision for ``order``.

        With ``live`` (what :func:`~fraud.scoring.score_order` returned for the
        live rules), its assessment is decided again, so the shadow costs one
        rule evaluation and equals ``score_order(order, ctx, candidate, model)``.
        Without it, the order is assessed first (with no model).
        """
        assessment = live.assessment if live is not None else assess(order, ctx)
        return decide_on(
            assessment,
            self.ruleset,
            thresholds_from(ctx.settings),
            max_reasons=ctx.settings.max_reasons,
        )

    def record(
        self, session: Session, order: Order, ctx: Context, live: Scored | None = None
    ) -> ShadowDecision | None:
        """Evaluate and store the shadow decision (the order must already be stored).

        Any failure is logged and swallowed (``None`` comes back): shadow mode
        must never change what the live service answers.
        """
        from fraud.store.shadow import save_shadow_decision

        try:
            decision = self.evaluate(order, ctx, live)
            return save_shadow_decision(session, order.order_id, decision)
        except Exception:
            log.exception("shadow rules %s failed on order %s", self.version, order.order_id)
            try:
                session.rollback()
            except Exception:  # the session may be unusable; the caller closes it
                log.debug("rollback after a shadow failure failed", exc_info=True)
            return None

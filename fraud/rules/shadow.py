"""Shadow mode: a candidate rule set decides every live order, but never acts.

Before a new rule set is promoted it runs beside the live one on real traffic.
For every order the live pipeline scores, :class:`ShadowRunner` decides the
same order with the candidate rules, through the same steps as
:func:`fraud.scoring.score_order` (rules :func:`~fraud.rules.evaluate`, then
:func:`~fraud.decision.decide` with the same thresholds, model probability and
unavailable signals), and the result is stored apart in ``shadow_decisions``
(:mod:`fraud.store.shadow`). The order service only ever sees the live decision.

The features are the ones the live decision was made on (``live.features``):
they are a function of the order and the context only, so recomputing them
would give the same values at twice the cost.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from fraud.decision import decide
from fraud.domain import Decision
from fraud.keys import order_keys
from fraud.rules.engine import evaluate
from fraud.rules.ruleset import RuleSet, load_rules
from fraud.schema import Order
from fraud.scoring import Scored, score_order, thresholds_from
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

        With ``live`` (what :func:`score_order` returned for the live rules), its
        features, model probability and unavailable signals are reused, so the
        shadow costs one rule evaluation. Without it, the whole pipeline runs
        with the candidate rules (and no model). The score and action equal
        ``score_order(order, ctx, candidate, model).decision``'s; only the model
        reasons are limited to those the live decision kept.
        """
        if live is None:
            return score_order(order, ctx, self.ruleset).decision
        decision = live.decision
        results = evaluate(self.ruleset, live.features.values, order_keys(order))
        return decide(
            order.order_id,
            results,
            thresholds_from(ctx),
            replace(decision.versions, rules=self.ruleset.version),
            model_probability=decision.model_probability,
            model_reasons=[r for r in decision.reasons if r.source == "model"],
            signals_unavailable=decision.signals_unavailable,
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

"""The challenger: a candidate model scored in shadow on every live order, never acting.

Before a retrained model is promoted it runs beside the live one (the champion). For
every new order the live pipeline scores, :class:`ChallengerRunner` assesses the same
order again with the challenger on the live assessment's features
(:func:`fraud.scoring.assess` with ``features``, so no signal runs twice), decides on it
with the live rules and thresholds (:func:`fraud.scoring.decide_on`), and stores the
result apart (:mod:`fraud.store.challenger`). The order service only ever sees the live
decision; a failing challenger is logged and skipped.

The challenger is the version ``<model_dir>/CHALLENGER`` names (``fraud models
challenger set VERSION``), or ``FRAUD_CHALLENGER_MODEL``; like CURRENT, a change of that
file is picked up within a second by every running worker.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fraud.domain import Decision
from fraud.model.registry import ModelHolder, ModelRegistry
from fraud.rules import RuleSet
from fraud.schema import Order
from fraud.scoring import Scored, assess, decide_on, thresholds_from
from fraud.signals import Context

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fraud.model.serving import ServedModel
    from fraud.settings import Settings
    from fraud.store.challenger import ChallengerScore

log = logging.getLogger(__name__)


class ChallengerRunner:
    """Follows CHALLENGER (or the pinned version) and scores orders with it in shadow."""

    def __init__(self, holder: ModelHolder) -> None:
        self.holder = holder

    @classmethod
    def from_settings(cls, settings: Settings) -> ChallengerRunner:
        holder = ModelHolder(ModelRegistry(settings.model_dir),
                             pinned=settings.challenger_model, challenger=True)
        error = holder.reload()
        if error is not None:
            log.warning("challenger model unavailable: %s", error.message)
        return cls(holder)

    @property
    def model(self) -> ServedModel | None:
        """The challenger now (``None``: none set); a change is noticed within a second."""
        self.holder.maybe_reload()
        return self.holder.current

    def status(self) -> str:
        """What ``/readyz`` shows: the version, ``none`` or why it did not load."""
        model = self.holder.current
        if model is not None:
            return model.version
        return self.holder.problem or "none"

    def decide(self, order: Order, ctx: Context, rules: RuleSet, live: Scored,
               model: ServedModel) -> Decision:
        """The decision the live rules would make with ``model``'s probability."""
        assessment = assess(order, ctx, model, features=live.features)
        return decide_on(assessment, rules, thresholds_from(ctx.settings),
                         max_reasons=ctx.settings.max_reasons)

    def record(self, session: Session, order: Order, ctx: Context, rules: RuleSet,
               live: Scored) -> ChallengerScore | None:
        """Score and store; never raises (``None``: no challenger, or it failed)."""
        from fraud.store.challenger import save_challenger_score

        model = self.model
        if model is None:
            return None
        try:
            return save_challenger_score(session, self.decide(order, ctx, rules, live, model))
        except Exception as exc:  # shadow scoring must never change the live answer
            log.warning("challenger %s failed on order %s (%s)", model.version,
                        order.order_id, type(exc).__name__)
            try:
                session.rollback()
            except Exception:  # the session may be unusable; the caller closes it
                log.debug("rollback after a challenger failure failed", exc_info=True)
            return None

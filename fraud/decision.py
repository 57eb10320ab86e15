"""Rule results + model probability + thresholds -> score, action and reasons.

The combination is deliberately simple so a reviewer can follow it:

* score = rule points of every hit + model points (100 × fraud probability)
  + points for unavailable signals, clamped to 0–100;
* the action follows the thresholds (review at ``review_threshold``, decline
  at ``decline_threshold``);
* a rule with effect ``review`` or ``decline`` forces at least that action;
  ``allow`` approves unless a ``decline`` rule hit too (deny beats allow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fraud.domain import Action, Decision, FeatureValue, Reason, RuleResult, Versions

_FORCING = {"review": Action.REVIEW, "decline": Action.DECLINE}


@dataclass(frozen=True)
class Thresholds:
    review: int
    decline: int
    unavailable_points: int = 15

    def action_for(self, score: int) -> Action:
        if score >= self.decline:
            return Action.DECLINE
        if score >= self.review:
            return Action.REVIEW
        return Action.APPROVE


def clamp_score(points: float) -> int:
    return max(0, min(100, round(points)))


def forced_action(hits: Sequence[RuleResult]) -> Action | None:
    forced = [_FORCING[r.effect] for r in hits if r.effect in _FORCING]
    return max(forced) if forced else None


def headline_value(values: Mapping[str, FeatureValue]) -> FeatureValue:
    """The value a reviewer wants beside the reason: a number, else a name, else a flag."""
    present = [v for v in values.values() if v is not None]
    for v in present:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return v
    for v in present:
        if not isinstance(v, bool):
            return v
    return present[0] if present else None


def _rule_reason(result: RuleResult) -> Reason:
    value = headline_value(result.values)
    return Reason(
        code=result.rule_id,
        message=result.message,
        value=value,
        points=result.points,
        source="rule",
    )


def _reason_weight(reason: Reason, effect: str) -> tuple[int, float]:
    order = {"decline": 3, "review": 2, "allow": 1}.get(effect, 0)
    return (order, abs(reason.points))


def decide(
    order_id: str,
    rule_results: Sequence[RuleResult],
    thresholds: Thresholds,
    versions: Versions,
    *,
    model_probability: float | None = None,
    model_reasons: Sequence[Reason] = (),
    signals_unavailable: Sequence[str] = (),
    max_reasons: int = 5,
) -> Decision:
    """Combine what the rules and the model said into one decision with reasons."""
    hits = [r for r in rule_results if r.status == "hit"]
    points = sum(r.points for r in hits)
    model_points = 100.0 * model_probability if model_probability is not None else 0.0
    unavailable_points = thresholds.unavailable_points * len(signals_unavailable)
    score = clamp_score(points + model_points + unavailable_points)

    action = thresholds.action_for(score)
    forced = forced_action(hits)
    if forced is not None:
        action = max(action, forced)
    if any(r.effect == "allow" for r in hits) and forced != Action.DECLINE:
        action = Action.APPROVE

    weighted = [(_reason_weight(_rule_reason(r), r.effect), _rule_reason(r)) for r in hits]
    weighted += [((0, abs(m.points)), m) for m in model_reasons if m.points > 0]
    weighted += [
        (
            (0, float(thresholds.unavailable_points)),
            Reason(
                code="signal_unavailable",
                message=f"The {name} check could not be run, so the order leans to review",
                value=name,
                points=float(thresholds.unavailable_points),
                source="signal",
            ),
        )
        for name in signals_unavailable
    ]
    weighted.sort(key=lambda pair: pair[0], reverse=True)
    reasons = tuple(reason for _, reason in weighted[:max_reasons])

    return Decision(
        order_id=order_id,
        score=score,
        action=action,
        reasons=reasons,
        rule_hits=tuple(hits),
        signals_unavailable=tuple(signals_unavailable),
        versions=versions,
        model_probability=model_probability,
    )

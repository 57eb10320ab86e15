"""Evaluate a rule set against one order's features: one result per rule, always.

A rule that fails (a type error on an unexpected value, division by zero) is
recorded as ``error`` with its reason and the other rules still run; nothing
here raises for a bad order. How results combine into a score and an action is
:mod:`fraud.decision`'s job (the contract is in docs/rules.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fraud.domain import FeatureValue, RuleResult
from fraud.keys import OrderKeys
from fraud.rules.expr import KEY_NAMES
from fraud.rules.ruleset import Rule, RuleSet

log = logging.getLogger(__name__)


def _seen_values(
    rule: Rule, features: Mapping[str, FeatureValue], keys: OrderKeys | None
) -> dict[str, Any]:
    """The values the rule read or quotes, condition names first."""
    return {
        name: (getattr(keys, name, None) if keys is not None else None)
        if name in KEY_NAMES
        else features.get(name)
        for name in rule.seen
    }


def evaluate_rule(
    rule: Rule, features: Mapping[str, FeatureValue], keys: OrderKeys | None = None
) -> RuleResult:
    """Evaluate one rule; never raises."""
    try:
        outcome = rule.when(features, keys)
        values = _seen_values(rule, features, keys)
    except Exception as exc:  # a broken rule is recorded, the decision still completes
        log.debug("rule %s failed: %s", rule.id, exc)
        return RuleResult(
            rule_id=rule.id,
            status="error",
            effect=rule.effect,
            values={name: features.get(name) for name in rule.when.names},
            error=f"{type(exc).__name__}: {exc}",
        )
    if outcome:
        return RuleResult(
            rule_id=rule.id,
            status="hit",
            effect=rule.effect,
            points=rule.points,
            message=rule.message.render(values),
            values=values,
        )
    return RuleResult(rule_id=rule.id, status="no_hit", effect=rule.effect, values=values)


def evaluate(
    ruleset: RuleSet,
    features: Mapping[str, FeatureValue],
    keys: OrderKeys | None = None,
) -> tuple[RuleResult, ...]:
    """Evaluate every rule of ``ruleset`` against one order.

    ``features`` is the order's feature vector (a missing name reads as
    unknown); ``keys`` its linking keys, needed by ``KEY in lists.NAME`` rules
    (``None``, e.g. in a CSV backtest without keys, makes those rules unknown,
    so they do not hit). Returns one :class:`~fraud.domain.RuleResult` per rule
    in file order: ``hit`` (with its points and the rendered message),
    ``no_hit``, or ``error`` (with the reason); ``values`` holds what the rule
    saw. Never raises for a bad value.
    """
    return tuple(evaluate_rule(rule, features, keys) for rule in ruleset.rules)

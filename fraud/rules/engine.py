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
from fraud.rules.ruleset import Rule, RuleSet

log = logging.getLogger(__name__)


def _seen_values(
    names: tuple[str, ...],
    key_names: tuple[str, ...],
    features: Mapping[str, FeatureValue],
    keys: OrderKeys | None,
) -> dict[str, Any]:
    """The values behind ``names``: order keys read from ``keys``, the rest features."""
    if not key_names:
        return {name: features.get(name) for name in names}
    return {
        name: getattr(keys, name, None) if name in key_names else features.get(name)
        for name in names
    }


def _plain_result(
    rule_id: str, status: str, effect: str, points: float, message: str,
    values: dict[str, Any], error: str | None,
) -> RuleResult:
    return RuleResult(rule_id, status, effect, points, message, values, error)  # type: ignore[arg-type]


def _quick_result(
    rule_id: str, status: str, effect: str, points: float, message: str,
    values: dict[str, Any], error: str | None,
) -> RuleResult:
    # A frozen dataclass's __init__ sets each field through object.__setattr__,
    # about a third of a rule set's time. Setting __dict__ at once (as copy and
    # pickle do) builds the identical object; _pick_result_builder checks that.
    result = object.__new__(RuleResult)
    object.__setattr__(result, "__dict__", {
        "rule_id": rule_id, "status": status, "effect": effect, "points": points,
        "message": message, "values": values, "error": error,
    })
    return result


def _pick_result_builder() -> Any:
    """The quick builder if it yields exactly what RuleResult() does, else the plain one."""
    sample = ("r", "hit", "points", 1.0, "m", {"x": 1}, None)
    try:
        quick = _quick_result(*sample)
        plain = RuleResult(*sample)  # type: ignore[arg-type]
        if quick == plain and vars(quick) == vars(plain):
            return _quick_result
    except (AttributeError, TypeError):  # e.g. RuleResult gained __slots__
        pass
    return _plain_result


_result = _pick_result_builder()


def evaluate_rule(
    rule: Rule, features: Mapping[str, FeatureValue], keys: OrderKeys | None = None
) -> RuleResult:
    """Evaluate one rule; never raises.

    ``values`` holds what the condition read; a hit adds what its message quotes.
    """
    try:
        outcome = rule.when(features, keys)
        if outcome:
            values = _seen_values(rule.seen, rule.when.keys, features, keys)
            message = rule.message.render(values)
        else:
            values = _seen_values(rule.read, rule.when.keys, features, keys)
    except Exception as exc:  # a broken rule is recorded, the decision still completes
        # the type only: an exception's message may quote the values it failed on, which
        # come from the order (a customer's e-mail, a street); the result keeps it
        log.debug("rule %s failed: %s", rule.id, type(exc).__name__)
        seen = _seen_values(rule.read, rule.when.keys, features, keys)
        error = f"{type(exc).__name__}: {exc}"
        return _result(rule.id, "error", rule.effect, 0.0, "", seen, error)
    if outcome:
        return _result(rule.id, "hit", rule.effect, rule.points, message, values, None)
    return _result(rule.id, "no_hit", rule.effect, 0.0, "", values, None)


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

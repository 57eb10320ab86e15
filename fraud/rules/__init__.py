"""Rules: the rule language only (declarative, versioned, safely evaluated).

* :mod:`fraud.rules.expr` compiles rule conditions (never ``eval``) out of the
  types, operators and functions in :mod:`fraud.rules.operators`;
* :mod:`fraud.rules.message` compiles the messages reviewers read;
* :mod:`fraud.rules.lists` holds allow and deny lists of order keys;
* :mod:`fraud.rules.ruleset` loads and validates a YAML rules file into a
  :class:`RuleSet`, and :class:`RuleBook` keeps the service's current one;
* :mod:`fraud.rules.engine` evaluates a rule set against one order.

This package sits below the pipeline (:mod:`fraud.scoring`) and knows nothing
of orders beyond a feature dict and linking keys. Replaying orders through
rule sets (backtests, shadow rules) lives above it, in :mod:`fraud.replay`.
The file format and the default rules are documented in docs/rules.md.
"""

from fraud.rules.engine import evaluate, evaluate_rule
from fraud.rules.expr import Expression, ExpressionError, MessageTemplate, compile_expression
from fraud.rules.lists import LIST_KINDS, NamedList
from fraud.rules.ruleset import (
    EFFECTS,
    Rule,
    RuleBook,
    RuleSet,
    check_rules_file,
    default_rules_path,
    load_rules,
    parse_rules,
)

__all__ = [
    "EFFECTS",
    "LIST_KINDS",
    "Expression",
    "ExpressionError",
    "MessageTemplate",
    "NamedList",
    "Rule",
    "RuleBook",
    "RuleSet",
    "check_rules_file",
    "compile_expression",
    "default_rules_path",
    "evaluate",
    "evaluate_rule",
    "load_rules",
    "parse_rules",
]

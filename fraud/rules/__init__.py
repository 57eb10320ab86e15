"""Rules: declarative, versioned, safely evaluated.

* :mod:`fraud.rules.expr` compiles rule conditions and messages (never ``eval``);
* :mod:`fraud.rules.ruleset` loads and validates a YAML rules file into a
  :class:`RuleSet`, and :class:`RuleBook` keeps the service's current one;
* :mod:`fraud.rules.engine` evaluates a rule set against one order.

Backtesting (``fraud rules backtest``) belongs in ``fraud/rules/backtest.py``:
it maps :func:`evaluate` over stored or CSV orders with labels. The file
format and the default rules are documented in docs/rules.md.
"""

from fraud.rules.engine import evaluate, evaluate_rule
from fraud.rules.expr import Expression, ExpressionError, MessageTemplate, compile_expression
from fraud.rules.ruleset import (
    EFFECTS,
    LIST_KINDS,
    NamedList,
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

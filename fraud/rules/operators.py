"""What the rule expression language can do: value types, operators, functions and
three-valued logic (an unknown value makes a comparison unknown, as in SQL).

:mod:`fraud.rules.expr` compiles expressions out of these pieces.
"""

from __future__ import annotations

import ast
import difflib
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from fraud.schema import PaymentMethod, ThreeDSResult

# Static types of compiled nodes; "any" is what a mixed coalesce() yields.
NUM, BOOL, STR, ANY = "number", "true/false", "text", "any"
KIND_TYPES: dict[str, str] = {"num": NUM, "bool": BOOL, "cat": STR, "text": STR}

# Categorical features whose values are fixed by the order schema: a typo in a
# rule constant ("3ds_failed") would otherwise silently never match.
KNOWN_VALUES: dict[str, frozenset[str]] = {
    "payment_method": frozenset(m.value for m in PaymentMethod),
    "three_ds": frozenset(r.value for r in ThreeDSResult),
}
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")

Env = Mapping[str, Any]
Fn = Callable[[Env, Any], Any]


class ExpressionError(ValueError):
    """A rule expression or message that cannot be compiled; ``column`` is 1-based."""

    def __init__(self, reason: str, column: int | None = None, hint: str = "") -> None:
        where = f" at column {column}" if column is not None else ""
        super().__init__(f"{reason}{where}{hint}")
        self.reason = reason
        self.column = column
        self.hint = hint


def did_you_mean(name: str, candidates: Collection[str], prefix: str = "") -> str:
    """The "; did you mean 'x'?" hint for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f"; did you mean '{prefix}{close[0]}'?" if close else ""


@dataclass(frozen=True)
class Node:
    """A compiled sub-expression: its closure, static type, and value if constant."""

    fn: Fn
    type: str
    const: bool = False
    value: Any = None
    feature: str | None = None


def constant_node(value: Any) -> Node:
    return Node(lambda f, k: value, type_of(value), const=True, value=value)


def type_of(value: Any) -> str:
    if value is None:
        return ANY
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUM
    if isinstance(value, str):
        return STR
    raise ExpressionError(f"constant {value!r} is not a number, text, True, False or None")


def col(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0) + 1


COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
SYMBOLS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
}
REFUSED = {
    "Attribute": "attribute access (only lists.NAME is allowed, after 'in')",
    "Subscript": "indexing with [...]",
    "Lambda": "lambda",
    "IfExp": "'x if c else y'",
    "NamedExpr": "':='",
    "JoinedStr": "f-strings",
    "Dict": "dictionaries",
    "ListComp": "comprehensions",
    "SetComp": "comprehensions",
    "GeneratorExp": "comprehensions",
    "DictComp": "comprehensions",
    "Starred": "'*'",
    "Await": "await",
}


def unknown_propagating(fn: Callable[..., Any], args: tuple[Node, ...]) -> Fn:
    """Apply ``fn`` to the arguments' values, unknown if any argument is unknown."""
    parts = tuple(a.fn for a in args)

    def call(f: Env, k: Any) -> Any:
        values = [p(f, k) for p in parts]
        if any(v is None for v in values):
            return None
        return fn(*values)

    return call


def coalesce_fn(args: tuple[Node, ...]) -> Fn:
    parts = tuple(a.fn for a in args)

    def call(f: Env, k: Any) -> Any:
        for p in parts:
            v = p(f, k)
            if v is not None:
                return v
        return None

    return call


def _round(x: float, digits: int = 0) -> float:
    return round(x, digits)


# name -> (implementation, argument types, result type or None for "same as args",
#          minimum and maximum argument count)
FUNCTIONS: dict[str, tuple[Callable[..., Any], str, str | None, int, int]] = {
    "abs": (abs, NUM, NUM, 1, 1),
    "min": (min, NUM, NUM, 2, 8),
    "max": (max, NUM, NUM, 2, 8),
    "round": (_round, NUM, NUM, 1, 2),
    "lower": (str.lower, STR, STR, 1, 1),
    "upper": (str.upper, STR, STR, 1, 1),
    "len": (len, STR, NUM, 1, 1),
    "coalesce": (coalesce_fn, ANY, None, 2, 8),
}
FUNCTION_NAMES: frozenset[str] = frozenset(FUNCTIONS)


def compatible(a: str, b: str) -> bool:
    return a == b or ANY in (a, b)


def describe_node(node: Node) -> str:
    if node.feature is not None:
        return f"{node.type} feature '{node.feature}'"
    if node.const:
        return f"{node.type} {node.value!r}"
    return node.type


def compare_fn(op: Callable[[Any, Any], bool], left: Node, right: Node) -> Fn:
    """A comparison closure, specialised for the common 'feature OP constant' shape."""
    if left.feature is not None and right.const:
        name, constant = left.feature, right.value

        def feature_vs_constant(f: Env, k: Any) -> bool | None:
            v = f.get(name)
            return None if v is None else op(v, constant)

        return feature_vs_constant
    lf, rf = left.fn, right.fn

    def general(f: Env, k: Any) -> bool | None:
        a = lf(f, k)
        if a is None:
            return None
        b = rf(f, k)
        return None if b is None else op(a, b)

    return general


def kleene_all(parts: tuple[Fn, ...]) -> Fn:
    def kleene_and(f: Env, k: Any) -> bool | None:
        unknown = False
        for part in parts:
            v = part(f, k)
            if v is None:
                unknown = True
            elif not v:
                return False
        return None if unknown else True

    return kleene_and


def kleene_any(parts: tuple[Fn, ...]) -> Fn:
    def kleene_or(f: Env, k: Any) -> bool | None:
        unknown = False
        for part in parts:
            v = part(f, k)
            if v is None:
                unknown = True
            elif v:
                return True
        return None if unknown else False

    return kleene_or

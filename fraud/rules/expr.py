"""The rule expression language, compiled safely.

An expression such as ``ip_billing_distance_km > 500 and amount_eur >= 250`` is
parsed with :func:`ast.parse` (``mode="eval"``), checked against a strict
whitelist of node types, feature names and functions, and compiled ONCE into
nested Python closures. Nothing is ever passed to ``eval`` or ``exec``; a node
type not listed here is refused at load time.

Unknown values (``None``, a signal that could not run) follow three-valued logic,
as in SQL: a comparison or arithmetic with an unknown value is unknown, ``not
unknown`` is unknown, ``False and unknown`` is False, ``True or unknown`` is True.
A rule fires only when its expression is definitely true, so an unknown value is
never evidence either way. ``x is None`` / ``x is not None`` and ``coalesce(x,
default)`` test or replace unknowns explicitly.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fraud.domain import FeatureKind
from fraud.rules.message import MessageTemplate, compile_message, render_value
from fraud.rules.operators import (
    ANY,
    ARITHMETIC,
    BOOL,
    COMPARE,
    COUNTRY_CODE,
    FUNCTION_NAMES,
    FUNCTIONS,
    KIND_TYPES,
    KNOWN_VALUES,
    NUM,
    ORDERING,
    REFUSED,
    SYMBOLS,
    Env,
    ExpressionError,
    Fn,
    Node,
    coalesce_fn,
    col,
    compare_fn,
    compatible,
    constant_node,
    describe_node,
    did_you_mean,
    kleene_all,
    kleene_any,
    unknown_propagating,
)

MAX_EXPRESSION_LENGTH = 2000

# Order keys (fraud.keys.OrderKeys fields) usable only as ``KEY in lists.NAME``.
KEY_NAMES: frozenset[str] = frozenset(
    {"account", "ip", "email", "phone", "device", "address", "card"}
)

__all__ = [
    "FUNCTION_NAMES",
    "KEY_NAMES",
    "MAX_EXPRESSION_LENGTH",
    "Expression",
    "ExpressionError",
    "MessageTemplate",
    "compile_expression",
    "compile_message",
    "did_you_mean",
    "render_value",
]


@dataclass(frozen=True)
class Expression:
    """A compiled rule condition: call it with features and order keys.

    Returns ``True``, ``False`` or ``None`` (unknown). ``names`` are the features
    it reads in order of first appearance, ``keys`` the order keys it checks
    against ``lists``.
    """

    source: str
    names: tuple[str, ...]
    keys: tuple[str, ...]
    lists: tuple[str, ...]
    _fn: Fn

    def __call__(self, features: Env, keys: Any = None) -> bool | None:
        result = self._fn(features, keys)
        return None if result is None else bool(result)


class _Compiler:
    """Walks one parsed expression, checking and compiling each node."""

    def __init__(self, kinds: Mapping[str, FeatureKind], lists: Mapping[str, Any]) -> None:
        self.kinds = kinds
        self.lists = lists
        self.names: list[str] = []
        self.keys: list[str] = []
        self.used_lists: list[str] = []

    def compile(self, node: ast.AST) -> Node:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            what = REFUSED.get(type(node).__name__, f"'{type(node).__name__}'")
            raise ExpressionError(f"{what} is not allowed in rules", col(node))
        return method(node)

    # -- leaves ---------------------------------------------------------------

    def _Constant(self, node: ast.Constant) -> Node:
        try:
            return constant_node(node.value)
        except ExpressionError as exc:
            raise ExpressionError(exc.reason, col(node)) from None

    def _Name(self, node: ast.Name) -> Node:
        name = node.id
        if name in self.kinds:
            if name not in self.names:
                self.names.append(name)
            return Node(lambda f, k: f.get(name), KIND_TYPES[self.kinds[name]], feature=name)
        if name in KEY_NAMES:
            raise ExpressionError(
                f"'{name}' is an order key, usable only as '{name} in lists.NAME'", col(node)
            )
        if name.lower() in ("true", "false", "none", "null"):
            fixed = {"true": "True", "false": "False"}.get(name.lower(), "None")
            raise ExpressionError(f"unknown name '{name}'; write {fixed}", col(node))
        if name == "lists":
            raise ExpressionError("'lists' must be followed by '.NAME', after 'in'", col(node))
        if not self.kinds:
            raise ExpressionError(
                f"unknown feature '{name}' (no features are registered)", col(node)
            )
        candidates = [*self.kinds, *FUNCTIONS]
        raise ExpressionError(
            f"unknown feature '{name}'", col(node), did_you_mean(name, candidates)
        )

    def _collection(self, node: ast.List | ast.Tuple | ast.Set) -> Node:
        items = [self.compile(e) for e in node.elts]
        for item, elt in zip(items, node.elts, strict=True):
            if not item.const or item.value is None:
                raise ExpressionError(
                    "a list after 'in' may only hold constants (numbers, text, True/False)",
                    col(elt),
                )
        values = frozenset(i.value for i in items)
        types = {i.type for i in items}
        kind = types.pop() if len(types) == 1 else ANY
        return Node(lambda f, k: values, f"collection of {kind}", const=True, value=values)

    _List = _Tuple = _Set = _collection

    # -- operators ------------------------------------------------------------

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            self._expect(operand, BOOL, "'not'", node.operand)
            inner = operand.fn
            return Node(lambda f, k: None if (v := inner(f, k)) is None else not v, BOOL)
        if isinstance(node.op, ast.USub | ast.UAdd):
            self._expect(operand, NUM, "'-'", node.operand)
            sign = -1 if isinstance(node.op, ast.USub) else 1
            if operand.const:
                return constant_node(sign * operand.value)
            inner = operand.fn
            return Node(lambda f, k: None if (v := inner(f, k)) is None else sign * v, NUM)
        raise ExpressionError("'~' is not allowed in rules", col(node))

    def _BinOp(self, node: ast.BinOp) -> Node:
        op = ARITHMETIC.get(type(node.op))
        if op is None:
            raise ExpressionError(
                "only + - * / are allowed for arithmetic", col(node.right) - 1
            )
        left, right = self.compile(node.left), self.compile(node.right)
        symbol = f"'{SYMBOLS[type(node.op)]}'"
        self._expect(left, NUM, symbol, node.left)
        self._expect(right, NUM, symbol, node.right)
        return Node(unknown_propagating(op, (left, right)), NUM)

    def _BoolOp(self, node: ast.BoolOp) -> Node:
        parts = []
        word = "'and'" if isinstance(node.op, ast.And) else "'or'"
        for value in node.values:
            compiled = self.compile(value)
            self._expect(compiled, BOOL, word, value)
            parts.append(compiled.fn)
        fns = tuple(parts)
        if isinstance(node.op, ast.And):
            return Node(kleene_all(fns), BOOL)
        return Node(kleene_any(fns), BOOL)

    def _Compare(self, node: ast.Compare) -> Node:
        checks: list[Fn] = []
        left_ast = node.left
        for op, right_ast in zip(node.ops, node.comparators, strict=True):
            checks.append(self._comparison(left_ast, op, right_ast))
            left_ast = right_ast
        if len(checks) == 1:
            return Node(checks[0], BOOL)
        return Node(kleene_all(tuple(checks)), BOOL)

    def _comparison(self, left_ast: ast.expr, op: ast.cmpop, right_ast: ast.expr) -> Fn:
        if isinstance(op, ast.In | ast.NotIn):
            return self._membership(left_ast, isinstance(op, ast.NotIn), right_ast)
        if isinstance(op, ast.Is | ast.IsNot):
            if not (isinstance(right_ast, ast.Constant) and right_ast.value is None):
                raise ExpressionError("'is' may only be used as 'is None' / 'is not None'",
                                      col(right_ast))
            inner = self.compile(left_ast).fn
            if isinstance(op, ast.Is):
                return lambda f, k: inner(f, k) is None
            return lambda f, k: inner(f, k) is not None
        left, right = self.compile(left_ast), self.compile(right_ast)
        symbol = SYMBOLS[type(op)]
        for side, side_ast in ((left, left_ast), (right, right_ast)):
            if side.const and side.value is None:
                fix = "is None" if isinstance(op, ast.Eq) else "is not None"
                raise ExpressionError(
                    f"comparing with None is always unknown; write 'x {fix}'", col(side_ast)
                )
        if isinstance(op, ORDERING):
            self._expect(left, NUM, f"'{symbol}'", left_ast)
            self._expect(right, NUM, f"'{symbol}'", right_ast)
        elif not compatible(left.type, right.type):
            raise ExpressionError(
                f"'{symbol}' compares {describe_node(left)} with {describe_node(right)}",
                col(right_ast),
            )
        self._check_value(left, right, right_ast)
        self._check_value(right, left, left_ast)
        return compare_fn(COMPARE[type(op)], left, right)

    def _membership(self, left_ast: ast.expr, negate: bool, right_ast: ast.expr) -> Fn:
        if (
            isinstance(right_ast, ast.Attribute)
            and isinstance(right_ast.value, ast.Name)
            and right_ast.value.id == "lists"
        ):
            return self._list_membership(left_ast, negate, right_ast)
        if not isinstance(right_ast, ast.List | ast.Tuple | ast.Set):
            raise ExpressionError(
                "after 'in' write a list of constants such as ('NL', 'BE') or lists.NAME",
                col(right_ast),
            )
        left, right = self.compile(left_ast), self.compile(right_ast)
        member_type = right.type.removeprefix("collection of ")
        if not compatible(left.type, member_type):
            raise ExpressionError(
                f"'in' looks for {describe_node(left)} in a list of {member_type}", col(right_ast)
            )
        for value in right.value:
            self._check_value(left, constant_node(value), right_ast)
        values, inner = right.value, left.fn
        if negate:
            return lambda f, k: None if (v := inner(f, k)) is None else v not in values
        return lambda f, k: None if (v := inner(f, k)) is None else v in values

    def _list_membership(self, left_ast: ast.expr, negate: bool, right_ast: ast.Attribute) -> Fn:
        name = right_ast.attr
        if name not in self.lists:
            hint = did_you_mean(name, self.lists, "lists.")
            raise ExpressionError(f"unknown list '{name}'", col(right_ast), hint)
        members = self.lists[name]
        kind = members.kind
        if not (isinstance(left_ast, ast.Name) and left_ast.id == kind):
            raise ExpressionError(
                f"list '{name}' holds {kind} values; write '{kind} in lists.{name}'",
                col(left_ast),
            )
        if kind not in self.keys:
            self.keys.append(kind)
        if name not in self.used_lists:
            self.used_lists.append(name)

        def member(f: Env, k: Any) -> bool | None:
            value = None if k is None else getattr(k, kind, None)
            if value is None:
                return None
            return (value in members) != negate

        return member

    def _Call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "this"
            allowed = ", ".join(sorted(FUNCTIONS))
            raise ExpressionError(
                f"function '{name}' is not allowed", col(node), f"; allowed: {allowed}"
            )
        fname = node.func.id
        impl, arg_type, result_type, least, most = FUNCTIONS[fname]
        if node.keywords:
            raise ExpressionError(f"{fname}() takes no keyword arguments", col(node))
        if not least <= len(node.args) <= most:
            count = str(least) if least == most else f"{least} to {most}"
            raise ExpressionError(f"{fname}() takes {count} arguments", col(node))
        args = tuple(self.compile(a) for a in node.args)
        if fname == "coalesce":
            types = {a.type for a in args if not (a.const and a.value is None)}
            result = types.pop() if len(types) == 1 else ANY
            return Node(coalesce_fn(args), result)
        for arg, arg_ast in zip(args, node.args, strict=True):
            self._expect(arg, arg_type, f"{fname}()", arg_ast)
        if fname == "round" and len(args) == 2 and not (
            args[1].const and isinstance(args[1].value, int)
        ):
            raise ExpressionError("round()'s second argument must be a whole number", col(node))
        return Node(unknown_propagating(impl, args), result_type or ANY)

    # -- checks ---------------------------------------------------------------

    def _expect(self, node: Node, wanted: str, where: str, at: ast.AST) -> None:
        if not compatible(node.type, wanted):
            raise ExpressionError(f"{where} needs {wanted}, got {describe_node(node)}", col(at))

    def _check_value(self, feature: Node, other: Node, at: ast.AST) -> None:
        """Cheap sanity checks of a constant compared with a known feature."""
        name = feature.feature
        if name is None or not other.const or not isinstance(other.value, str):
            return
        value = other.value
        known = KNOWN_VALUES.get(name)
        if known is not None and value not in known:
            allowed = ", ".join(sorted(known))
            raise ExpressionError(f"'{value}' is not a value of {name} ({allowed})", col(at))
        if name.endswith("_country") and not COUNTRY_CODE.match(value):
            raise ExpressionError(
                f"'{value}' is not an ISO country code like 'NL' (two capital letters)", col(at)
            )


def compile_expression(
    source: str,
    kinds: Mapping[str, FeatureKind],
    lists: Mapping[str, Any] | None = None,
) -> Expression:
    """Parse, check and compile one rule condition.

    ``kinds`` maps every known feature name to its kind (``num``, ``bool``,
    ``cat``, ``text``); ``lists`` maps list names to collections that support
    ``in`` and have a ``kind`` attribute naming the order key they hold
    (``email``, ``ip``, ...). ``KEY in lists.NAME`` reads that key from the
    :class:`fraud.keys.OrderKeys` passed at evaluation.

    Raises :class:`ExpressionError` naming the column and the reason when the
    expression is malformed, uses an unknown name or a construct outside the
    whitelist, or mixes types.
    """
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("the condition is empty")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"the condition is longer than {MAX_EXPRESSION_LENGTH} characters")
    # YAML block scalars keep their newlines; an expression is one logical line.
    text = " ".join(source.strip().splitlines())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}", max(1, exc.offset or 1)) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot parse: {exc}") from None
    compiler = _Compiler(kinds, lists or {})
    try:
        root = compiler.compile(tree.body)
    except RecursionError:
        raise ExpressionError("the condition is nested too deeply") from None
    if not compatible(root.type, BOOL):
        raise ExpressionError(
            f"a condition must be true or false, but this is {describe_node(root)}", 1
        )
    return Expression(
        source=text,
        names=tuple(compiler.names),
        keys=tuple(compiler.keys),
        lists=tuple(compiler.used_lists),
        _fn=root.fn,
    )

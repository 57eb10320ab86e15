"""The rule expression language and message templates, compiled safely.

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
import difflib
import math
import operator
import re
import string
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from fraud.domain import FeatureKind
from fraud.schema import PaymentMethod, ThreeDSResult

MAX_EXPRESSION_LENGTH = 2000

# Order keys (fraud.keys.OrderKeys fields) usable only as ``KEY in lists.NAME``.
KEY_NAMES: frozenset[str] = frozenset(
    {"account", "ip", "email", "phone", "device", "address", "card"}
)

# Static types of compiled nodes; "any" is what a mixed coalesce() yields.
_NUM, _BOOL, _STR, _ANY = "number", "true/false", "text", "any"
_KIND_TYPES: dict[str, str] = {"num": _NUM, "bool": _BOOL, "cat": _STR, "text": _STR}

# Categorical features whose values are fixed by the order schema: a typo in a
# rule constant ("3ds_failed") would otherwise silently never match.
_KNOWN_VALUES: dict[str, frozenset[str]] = {
    "payment_method": frozenset(m.value for m in PaymentMethod),
    "three_ds": frozenset(r.value for r in ThreeDSResult),
}
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")

Env = Mapping[str, Any]
_Fn = Callable[[Env, Any], Any]


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
    _fn: _Fn

    def __call__(self, features: Env, keys: Any = None) -> bool | None:
        result = self._fn(features, keys)
        return None if result is None else bool(result)


@dataclass(frozen=True)
class _Node:
    """A compiled sub-expression: its closure, static type, and value if constant."""

    fn: _Fn
    type: str
    const: bool = False
    value: Any = None
    feature: str | None = None


def _constant(value: Any) -> _Node:
    return _Node(lambda f, k: value, _type_of(value), const=True, value=value)


def _type_of(value: Any) -> str:
    if value is None:
        return _ANY
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int | float):
        return _NUM
    if isinstance(value, str):
        return _STR
    raise ExpressionError(f"constant {value!r} is not a number, text, True, False or None")


def _col(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0) + 1


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_SYMBOLS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
}
_REFUSED = {
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


def _unknown_propagating(fn: Callable[..., Any], args: tuple[_Node, ...]) -> _Fn:
    """Apply ``fn`` to the arguments' values, unknown if any argument is unknown."""
    parts = tuple(a.fn for a in args)

    def call(f: Env, k: Any) -> Any:
        values = [p(f, k) for p in parts]
        if any(v is None for v in values):
            return None
        return fn(*values)

    return call


def _coalesce(args: tuple[_Node, ...]) -> _Fn:
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
_FUNCTIONS: dict[str, tuple[Callable[..., Any], str, str | None, int, int]] = {
    "abs": (abs, _NUM, _NUM, 1, 1),
    "min": (min, _NUM, _NUM, 2, 8),
    "max": (max, _NUM, _NUM, 2, 8),
    "round": (_round, _NUM, _NUM, 1, 2),
    "lower": (str.lower, _STR, _STR, 1, 1),
    "upper": (str.upper, _STR, _STR, 1, 1),
    "len": (len, _STR, _NUM, 1, 1),
    "coalesce": (_coalesce, _ANY, None, 2, 8),
}


def _compatible(a: str, b: str) -> bool:
    return a == b or _ANY in (a, b)


class _Compiler:
    """Walks one parsed expression, checking and compiling each node."""

    def __init__(self, kinds: Mapping[str, FeatureKind], lists: Mapping[str, Any]) -> None:
        self.kinds = kinds
        self.lists = lists
        self.names: list[str] = []
        self.keys: list[str] = []
        self.used_lists: list[str] = []

    def compile(self, node: ast.AST) -> _Node:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            what = _REFUSED.get(type(node).__name__, f"'{type(node).__name__}'")
            raise ExpressionError(f"{what} is not allowed in rules", _col(node))
        return method(node)

    # -- leaves ---------------------------------------------------------------

    def _Constant(self, node: ast.Constant) -> _Node:
        try:
            return _constant(node.value)
        except ExpressionError as exc:
            raise ExpressionError(exc.reason, _col(node)) from None

    def _Name(self, node: ast.Name) -> _Node:
        name = node.id
        if name in self.kinds:
            if name not in self.names:
                self.names.append(name)
            return _Node(lambda f, k: f.get(name), _KIND_TYPES[self.kinds[name]], feature=name)
        if name in KEY_NAMES:
            raise ExpressionError(
                f"'{name}' is an order key, usable only as '{name} in lists.NAME'", _col(node)
            )
        if name.lower() in ("true", "false", "none", "null"):
            fixed = {"true": "True", "false": "False"}.get(name.lower(), "None")
            raise ExpressionError(f"unknown name '{name}'; write {fixed}", _col(node))
        if name == "lists":
            raise ExpressionError("'lists' must be followed by '.NAME', after 'in'", _col(node))
        if not self.kinds:
            raise ExpressionError(
                f"unknown feature '{name}' (no features are registered)", _col(node)
            )
        candidates = [*self.kinds, *_FUNCTIONS]
        raise ExpressionError(
            f"unknown feature '{name}'", _col(node), did_you_mean(name, candidates)
        )

    def _collection(self, node: ast.List | ast.Tuple | ast.Set) -> _Node:
        items = [self.compile(e) for e in node.elts]
        for item, elt in zip(items, node.elts, strict=True):
            if not item.const or item.value is None:
                raise ExpressionError(
                    "a list after 'in' may only hold constants (numbers, text, True/False)",
                    _col(elt),
                )
        values = frozenset(i.value for i in items)
        types = {i.type for i in items}
        kind = types.pop() if len(types) == 1 else _ANY
        return _Node(lambda f, k: values, f"collection of {kind}", const=True, value=values)

    _List = _Tuple = _Set = _collection

    # -- operators ------------------------------------------------------------

    def _UnaryOp(self, node: ast.UnaryOp) -> _Node:
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            self._expect(operand, _BOOL, "'not'", node.operand)
            inner = operand.fn
            return _Node(lambda f, k: None if (v := inner(f, k)) is None else not v, _BOOL)
        if isinstance(node.op, ast.USub | ast.UAdd):
            self._expect(operand, _NUM, "'-'", node.operand)
            sign = -1 if isinstance(node.op, ast.USub) else 1
            if operand.const:
                return _constant(sign * operand.value)
            inner = operand.fn
            return _Node(lambda f, k: None if (v := inner(f, k)) is None else sign * v, _NUM)
        raise ExpressionError("'~' is not allowed in rules", _col(node))

    def _BinOp(self, node: ast.BinOp) -> _Node:
        op = _ARITHMETIC.get(type(node.op))
        if op is None:
            raise ExpressionError(
                "only + - * / are allowed for arithmetic", _col(node.right) - 1
            )
        left, right = self.compile(node.left), self.compile(node.right)
        symbol = f"'{_SYMBOLS[type(node.op)]}'"
        self._expect(left, _NUM, symbol, node.left)
        self._expect(right, _NUM, symbol, node.right)
        return _Node(_unknown_propagating(op, (left, right)), _NUM)

    def _BoolOp(self, node: ast.BoolOp) -> _Node:
        parts = []
        word = "'and'" if isinstance(node.op, ast.And) else "'or'"
        for value in node.values:
            compiled = self.compile(value)
            self._expect(compiled, _BOOL, word, value)
            parts.append(compiled.fn)
        fns = tuple(parts)
        if isinstance(node.op, ast.And):
            return _Node(_kleene_and(fns), _BOOL)
        return _Node(_kleene_or(fns), _BOOL)

    def _Compare(self, node: ast.Compare) -> _Node:
        checks: list[_Fn] = []
        left_ast = node.left
        for op, right_ast in zip(node.ops, node.comparators, strict=True):
            checks.append(self._comparison(left_ast, op, right_ast))
            left_ast = right_ast
        if len(checks) == 1:
            return _Node(checks[0], _BOOL)
        return _Node(_kleene_and(tuple(checks)), _BOOL)

    def _comparison(self, left_ast: ast.expr, op: ast.cmpop, right_ast: ast.expr) -> _Fn:
        if isinstance(op, ast.In | ast.NotIn):
            return self._membership(left_ast, isinstance(op, ast.NotIn), right_ast)
        if isinstance(op, ast.Is | ast.IsNot):
            if not (isinstance(right_ast, ast.Constant) and right_ast.value is None):
                raise ExpressionError("'is' may only be used as 'is None' / 'is not None'",
                                      _col(right_ast))
            inner = self.compile(left_ast).fn
            if isinstance(op, ast.Is):
                return lambda f, k: inner(f, k) is None
            return lambda f, k: inner(f, k) is not None
        left, right = self.compile(left_ast), self.compile(right_ast)
        symbol = _SYMBOLS[type(op)]
        for side, side_ast in ((left, left_ast), (right, right_ast)):
            if side.const and side.value is None:
                fix = "is None" if isinstance(op, ast.Eq) else "is not None"
                raise ExpressionError(
                    f"comparing with None is always unknown; write 'x {fix}'", _col(side_ast)
                )
        if isinstance(op, _ORDERING):
            self._expect(left, _NUM, f"'{symbol}'", left_ast)
            self._expect(right, _NUM, f"'{symbol}'", right_ast)
        elif not _compatible(left.type, right.type):
            raise ExpressionError(
                f"'{symbol}' compares {_describe(left)} with {_describe(right)}", _col(right_ast)
            )
        self._check_value(left, right, right_ast)
        self._check_value(right, left, left_ast)
        return _compare_fn(_COMPARE[type(op)], left, right)

    def _membership(self, left_ast: ast.expr, negate: bool, right_ast: ast.expr) -> _Fn:
        if (
            isinstance(right_ast, ast.Attribute)
            and isinstance(right_ast.value, ast.Name)
            and right_ast.value.id == "lists"
        ):
            return self._list_membership(left_ast, negate, right_ast)
        if not isinstance(right_ast, ast.List | ast.Tuple | ast.Set):
            raise ExpressionError(
                "after 'in' write a list of constants such as ('NL', 'BE') or lists.NAME",
                _col(right_ast),
            )
        left, right = self.compile(left_ast), self.compile(right_ast)
        member_type = right.type.removeprefix("collection of ")
        if not _compatible(left.type, member_type):
            raise ExpressionError(
                f"'in' looks for {_describe(left)} in a list of {member_type}", _col(right_ast)
            )
        for value in right.value:
            self._check_value(left, _constant(value), right_ast)
        values, inner = right.value, left.fn
        if negate:
            return lambda f, k: None if (v := inner(f, k)) is None else v not in values
        return lambda f, k: None if (v := inner(f, k)) is None else v in values

    def _list_membership(self, left_ast: ast.expr, negate: bool, right_ast: ast.Attribute) -> _Fn:
        name = right_ast.attr
        if name not in self.lists:
            hint = did_you_mean(name, self.lists, "lists.")
            raise ExpressionError(f"unknown list '{name}'", _col(right_ast), hint)
        members = self.lists[name]
        kind = members.kind
        if not (isinstance(left_ast, ast.Name) and left_ast.id == kind):
            raise ExpressionError(
                f"list '{name}' holds {kind} values; write '{kind} in lists.{name}'",
                _col(left_ast),
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

    def _Call(self, node: ast.Call) -> _Node:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "this"
            allowed = ", ".join(sorted(_FUNCTIONS))
            raise ExpressionError(
                f"function '{name}' is not allowed", _col(node), f"; allowed: {allowed}"
            )
        fname = node.func.id
        impl, arg_type, result_type, least, most = _FUNCTIONS[fname]
        if node.keywords:
            raise ExpressionError(f"{fname}() takes no keyword arguments", _col(node))
        if not least <= len(node.args) <= most:
            count = str(least) if least == most else f"{least} to {most}"
            raise ExpressionError(f"{fname}() takes {count} arguments", _col(node))
        args = tuple(self.compile(a) for a in node.args)
        if fname == "coalesce":
            types = {a.type for a in args if not (a.const and a.value is None)}
            result = types.pop() if len(types) == 1 else _ANY
            return _Node(_coalesce(args), result)
        for arg, arg_ast in zip(args, node.args, strict=True):
            self._expect(arg, arg_type, f"{fname}()", arg_ast)
        if fname == "round" and len(args) == 2 and not (
            args[1].const and isinstance(args[1].value, int)
        ):
            raise ExpressionError("round()'s second argument must be a whole number", _col(node))
        return _Node(_unknown_propagating(impl, args), result_type or _ANY)

    # -- checks ---------------------------------------------------------------

    def _expect(self, node: _Node, wanted: str, where: str, at: ast.AST) -> None:
        if not _compatible(node.type, wanted):
            raise ExpressionError(f"{where} needs {wanted}, got {_describe(node)}", _col(at))

    def _check_value(self, feature: _Node, other: _Node, at: ast.AST) -> None:
        """Cheap sanity checks of a constant compared with a known feature."""
        name = feature.feature
        if name is None or not other.const or not isinstance(other.value, str):
            return
        value = other.value
        known = _KNOWN_VALUES.get(name)
        if known is not None and value not in known:
            allowed = ", ".join(sorted(known))
            raise ExpressionError(f"'{value}' is not a value of {name} ({allowed})", _col(at))
        if name.endswith("_country") and not _COUNTRY_CODE.match(value):
            raise ExpressionError(
                f"'{value}' is not an ISO country code like 'NL' (two capital letters)", _col(at)
            )


def _describe(node: _Node) -> str:
    if node.feature is not None:
        return f"{node.type} feature '{node.feature}'"
    if node.const:
        return f"{node.type} {node.value!r}"
    return node.type


def _compare_fn(op: Callable[[Any, Any], bool], left: _Node, right: _Node) -> _Fn:
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


def _kleene_and(parts: tuple[_Fn, ...]) -> _Fn:
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


def _kleene_or(parts: tuple[_Fn, ...]) -> _Fn:
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
    if not _compatible(root.type, _BOOL):
        raise ExpressionError(
            f"a condition must be true or false, but this is {_describe(root)}", 1
        )
    return Expression(
        source=text,
        names=tuple(compiler.names),
        keys=tuple(compiler.keys),
        lists=tuple(compiler.used_lists),
        _fn=root.fn,
    )


# -- message templates ---------------------------------------------------------

_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class MessageTemplate:
    """A reviewer-facing sentence with ``{feature}`` / ``{feature:spec}`` placeholders.

    Unknown values render as "unknown", booleans as "yes"/"no"; a value that does
    not fit its format spec is shown plainly rather than failing.
    """

    source: str
    parts: tuple[tuple[str, str | None, str], ...]
    names: tuple[str, ...]

    def render(self, values: Mapping[str, Any]) -> str:
        out = []
        for literal, name, spec in self.parts:
            out.append(literal)
            if name is not None:
                out.append(render_value(values.get(name), spec))
        return "".join(out)


def render_value(value: Any, spec: str = "") -> str:
    """One placeholder's text; never raises."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if spec:
        try:
            return format(value, spec)
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def compile_message(source: str, known: Collection[str]) -> MessageTemplate:
    """Parse a message template; every placeholder must be a name in ``known``."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("the message is empty")
    try:
        parsed = list(_FORMATTER.parse(source))
    except ValueError as exc:
        raise ExpressionError(f"bad placeholder: {exc} (write {{{{ and }}}} for braces)") from None
    parts: list[tuple[str, str | None, str]] = []
    names: list[str] = []
    for literal, field, spec, conversion in parsed:
        if field is None:
            parts.append((literal, None, ""))
            continue
        column = source.find("{" + field) + 1
        if not field or not field.isidentifier():
            raise ExpressionError(
                f"placeholder '{{{field}}}' must be a feature name", column
            )
        if conversion or "{" in (spec or ""):
            raise ExpressionError(f"placeholder '{{{field}}}' may only have a format spec", column)
        if field not in known:
            raise ExpressionError(
                f"unknown feature '{field}' in the message", column, did_you_mean(field, known)
            )
        _check_spec(field, spec or "", column)
        if field not in names:
            names.append(field)
        parts.append((literal, field, spec or ""))
    return MessageTemplate(source, tuple(parts), tuple(names))


def _check_spec(field: str, spec: str, column: int) -> None:
    # Formatting a sample number catches nonsense specs such as ':,.0q' at load.
    try:
        format(1.5, spec)
    except ValueError:
        try:
            format("x", spec)
        except ValueError:
            raise ExpressionError(
                f"format '{spec}' for '{field}' is not a valid format spec", column
            ) from None

"""Rule messages: ``{name}`` placeholders filled with the values a rule saw.

Templates are parsed once at load time (:func:`compile_message`); an unknown
name or format spec is refused with its column.
"""

from __future__ import annotations

import math
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from fraud.rules.operators import ExpressionError, did_you_mean

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

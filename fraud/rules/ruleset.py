"""Rule sets: a versioned YAML file of named rules and allow/deny lists.

A file is checked completely at load: every expression compiled, every name a
known feature, every message placeholder known, ids unique. A bad file raises
:class:`~fraud.errors.RulesError` naming the rule, the YAML line, the column in
the expression and the reason. :class:`RuleBook` holds the running service's
rules and keeps the old ones when a reload fails.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import yaml

from fraud.domain import Feature, FeatureKind
from fraud.errors import RulesError
from fraud.rules.expr import (
    Expression,
    ExpressionError,
    MessageTemplate,
    compile_expression,
    compile_message,
    did_you_mean,
)
from fraud.rules.lists import LIST_KINDS, IpNetwork, NamedList, list_value

log = logging.getLogger(__name__)

Effect = Literal["points", "review", "decline", "allow"]
EFFECTS: tuple[str, ...] = get_args(Effect)

DEFAULT_RULES = "default.yaml"

_RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_LIST_NAME = _RULE_ID
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
_TOP_KEYS = ("version", "description", "lists", "rules")
_RULE_KEYS = ("id", "description", "when", "effect", "points", "message")
_LIST_KEYS = ("kind", "description", "values")

@dataclass(frozen=True)
class Rule:
    """One named rule: a condition, an effect and a sentence for reviewers."""

    id: str
    description: str
    when: Expression
    effect: Effect
    points: float
    message: MessageTemplate
    line: int

    @property
    def condition(self) -> str:
        return self.when.source

    @cached_property
    def read(self) -> tuple[str, ...]:
        """Features and order keys the condition reads, in order of appearance."""
        return (*self.when.names, *self.when.keys)

    @cached_property
    def seen(self) -> tuple[str, ...]:
        """What the message quotes, then what the condition reads: the first number
        the message quotes is the value a reviewer sees beside the reason."""
        return tuple(dict.fromkeys((*self.message.names, *self.read)))


@dataclass(frozen=True)
class RuleSet:
    """A loaded, validated rules file. Rules change by a new version, never in place.

    ``version`` is the file's own ``version`` plus the first 8 hex digits of the
    SHA-256 of the file's bytes (``"2026-11-25.1+3fa9c2d1"``), so two different
    files never share a version even if someone forgets to bump it.
    """

    version: str
    description: str
    rules: tuple[Rule, ...]
    lists: Mapping[str, NamedList] = field(default_factory=dict)
    source: str = "<string>"
    sha256: str = ""

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)


# -- YAML with line numbers ----------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers its own line and each value's line."""

    line: int = 0
    lines: dict[str, int]


class _Seq(list):
    """A YAML sequence that remembers its own line and each item's line."""

    line: int = 0
    lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that records lines and refuses duplicate keys."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise RulesError(f"line {line}: keys must be text, got {key!r}")
        if key in out:
            raise RulesError(f"line {line}: duplicate key '{key}'")
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(item, deep=True) for item in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [item.start_mark.line + 1 for item in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def _read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise RulesError(f"{source}: malformed YAML{line}: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{source}: malformed YAML: {exc}") from None
    except RulesError as exc:
        raise RulesError(f"{source}: {exc.message}") from None


# -- validation ----------------------------------------------------------------


class _Invalid(Exception):
    """A problem found while checking one part of the file, before it is located."""

    def __init__(self, reason: str, line: int, rule_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.rule_id = rule_id


def _line(container: Any, key: Any, default: int = 0) -> int:
    lines = getattr(container, "lines", None)
    if isinstance(lines, dict):
        return lines.get(key, getattr(container, "line", default))
    if isinstance(lines, list) and isinstance(key, int) and key < len(lines):
        return lines[key]
    return getattr(container, "line", default)


def _check_keys(mapping: _Map, allowed: tuple[str, ...], what: str, rule_id: str | None) -> None:
    for key in mapping:
        if key not in allowed:
            if key in ("thresholds", "review_threshold", "decline_threshold"):
                reason = (
                    f"'{key}' does not belong in a rules file: thresholds are settings "
                    "(FRAUD_REVIEW_THRESHOLD, FRAUD_DECLINE_THRESHOLD)"
                )
            else:
                hint = did_you_mean(key, allowed) or f"; allowed: {', '.join(allowed)}"
                reason = f"unknown key '{key}' in {what}{hint}"
            raise _Invalid(reason, _line(mapping, key), rule_id)


def _text(mapping: _Map, key: str, what: str, rule_id: str | None, required: bool = True) -> str:
    value = mapping.get(key)
    if value is None:
        if required:
            raise _Invalid(f"{what} needs '{key}'", mapping.line, rule_id)
        return ""
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"'{key}' must be non-empty text", _line(mapping, key), rule_id)
    return value.strip()


def _version(doc: _Map) -> str:
    raw = doc.get("version")
    if raw is None:
        raise _Invalid("the file needs a 'version', e.g. version: \"2026-11-25.1\"", doc.line)
    # An unquoted 2026-11-25 is read by YAML as a date; its text is what was meant.
    version = str(raw).strip()
    if not _VERSION.match(version):
        raise _Invalid(
            f"version {version!r} must be letters, digits, '.', '-' or '_' (no spaces or '+')",
            _line(doc, "version"),
        )
    return version


def _named_list(name: str, spec: Any, line: int) -> NamedList:
    if not _LIST_NAME.match(name):
        raise _Invalid(f"list name '{name}' must be snake_case", line)
    if not isinstance(spec, _Map):
        raise _Invalid(f"list '{name}' must be a mapping with kind and values", line)
    _check_keys(spec, _LIST_KEYS, f"list '{name}'", None)
    kind = spec.get("kind")
    if kind not in LIST_KINDS:
        hint = did_you_mean(str(kind), LIST_KINDS) or f"; allowed: {', '.join(LIST_KINDS)}"
        raise _Invalid(f"list '{name}' has unknown kind {kind!r}{hint}", _line(spec, "kind"))
    raw_values = spec.get("values") or _Seq()
    if not isinstance(raw_values, list):
        raise _Invalid(f"list '{name}': values must be a list", _line(spec, "values"))
    values: set[str] = set()
    networks: list[IpNetwork] = []
    for i, raw in enumerate(raw_values):
        try:
            value = list_value(kind, raw)
        except ValueError as exc:
            raise _Invalid(f"list '{name}': {exc}", _line(raw_values, i)) from None
        if isinstance(value, str):
            values.add(value)
        else:
            networks.append(value)
    description = spec.get("description") or ""
    return NamedList(name, kind, frozenset(values), tuple(networks), str(description))


def _lists(doc: _Map) -> dict[str, NamedList]:
    raw = doc.get("lists")
    if raw is None:
        return {}
    if not isinstance(raw, _Map):
        raise _Invalid("'lists' must be a mapping of list names", _line(doc, "lists"))
    return {name: _named_list(name, spec, _line(raw, name)) for name, spec in raw.items()}


def _rule(
    raw: Any, line: int, kinds: Mapping[str, FeatureKind], lists: Mapping[str, NamedList]
) -> Rule:
    if not isinstance(raw, _Map):
        raise _Invalid("each rule must be a mapping with id, when, effect and message", line)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise _Invalid(
            f"rule id {rule_id!r} must be snake_case (a-z, 0-9, _), starting with a letter",
            _line(raw, "id", line),
        )
    _check_keys(raw, _RULE_KEYS, "a rule", rule_id)
    description = _text(raw, "description", "a rule", rule_id)
    effect = raw.get("effect")
    if effect not in EFFECTS:
        hint = did_you_mean(str(effect), EFFECTS) or f"; allowed: {', '.join(EFFECTS)}"
        raise _Invalid(f"unknown effect {effect!r}{hint}", _line(raw, "effect", line), rule_id)
    points = _points(raw, effect, rule_id)
    source = _text(raw, "when", "a rule", rule_id)
    try:
        when = compile_expression(source, kinds, lists)
    except ExpressionError as exc:
        raise _Invalid(str(exc), _line(raw, "when"), rule_id) from None
    known = set(kinds) | set(when.keys)
    try:
        message = compile_message(_text(raw, "message", "a rule", rule_id), known)
    except ExpressionError as exc:
        raise _Invalid(str(exc), _line(raw, "message"), rule_id) from None
    return Rule(rule_id, description, when, effect, points, message, raw.line)


def _points(raw: _Map, effect: str, rule_id: str) -> float:
    value = raw.get("points")
    if value is None:
        if effect == "points":
            raise _Invalid("effect 'points' needs 'points: N'", raw.line, rule_id)
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"points must be a number, got {value!r}", _line(raw, "points"), rule_id)
    if not -100 <= value <= 100:
        raise _Invalid("points must be between -100 and 100", _line(raw, "points"), rule_id)
    if effect == "points" and value == 0:
        raise _Invalid("a 'points' rule with 0 points does nothing", _line(raw, "points"), rule_id)
    return float(value)


def _ruleset(doc: Any, kinds: Mapping[str, FeatureKind], source: str, digest: str) -> RuleSet:
    if not isinstance(doc, _Map):
        raise _Invalid("the file must be a mapping with version, lists and rules", 1)
    _check_keys(doc, _TOP_KEYS, "the file", None)
    version = _version(doc)
    description = _text(doc, "description", "the file", None, required=False)
    lists = _lists(doc)
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, _Seq):
        raise _Invalid("the file needs 'rules:', a list of rules", _line(doc, "rules", 1))
    rules: list[Rule] = []
    first_line: dict[str, int] = {}
    for i, raw in enumerate(raw_rules):
        rule = _rule(raw, _line(raw_rules, i), kinds, lists)
        if rule.id in first_line:
            raise _Invalid(
                f"duplicate rule id (first defined on line {first_line[rule.id]})",
                rule.line,
                rule.id,
            )
        first_line[rule.id] = rule.line
        rules.append(rule)
    return RuleSet(
        version=f"{version}+{digest[:8]}",
        description=description,
        rules=tuple(rules),
        lists=MappingProxyType(lists),
        source=source,
        sha256=digest,
    )


def _error(source: str, problem: _Invalid) -> RulesError:
    where = f"rule '{problem.rule_id}' (line {problem.line})" if problem.rule_id else (
        f"line {problem.line}"
    )
    return RulesError(
        f"{source}: {where}: {problem.reason}",
        detail={"source": source, "rule_id": problem.rule_id, "line": problem.line,
                "reason": problem.reason},
    )


# -- public API ----------------------------------------------------------------


def parse_rules(
    content: str | bytes,
    known_features: Mapping[str, Feature] | None = None,
    *,
    source: str = "<string>",
) -> RuleSet:
    """Validate and compile the text of a rules file.

    ``known_features`` is the feature catalogue expressions may use (default:
    :func:`fraud.signals.feature_catalogue`). Raises
    :class:`~fraud.errors.RulesError` with the rule id, YAML line, expression
    column and reason for anything wrong with the file.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RulesError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if known_features is None:
        from fraud.signals import feature_catalogue

        known_features = feature_catalogue()
    kinds = {name: feature.kind for name, feature in known_features.items()}
    doc = _read_yaml(text, source)
    try:
        return _ruleset(doc, kinds, source, digest)
    except _Invalid as problem:
        raise _error(source, problem) from None


def default_rules_path() -> Path:
    """Where the bundled default rules live (inside the installed package)."""
    return Path(str(resources.files("fraud.rules").joinpath(DEFAULT_RULES)))


def load_rules(
    path: str | Path | None = None, known_features: Mapping[str, Feature] | None = None
) -> RuleSet:
    """Load a rules file (``None``: the bundled ``default.yaml``).

    Raises :class:`~fraud.errors.RulesError` if the file cannot be read or is
    invalid; the message names the file, rule id, line, column and reason.
    """
    if path is None:
        data = resources.files("fraud.rules").joinpath(DEFAULT_RULES).read_bytes()
        return parse_rules(data, known_features, source=f"fraud/rules/{DEFAULT_RULES}")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RulesError(f"{path}: cannot read rules file: {exc.strerror or exc}") from None
    return parse_rules(data, known_features, source=str(path))


def check_rules_file(
    path: str | Path, known_features: Mapping[str, Feature] | None = None
) -> RuleSet:
    """What ``fraud rules check FILE`` runs: load against the registered features."""
    return load_rules(path, known_features)


class RuleBook:
    """The running service's current rules.

    The first load must succeed (there are no old rules to fall back on).
    :meth:`reload` re-reads the file and swaps the rules in only when the new
    file is valid; otherwise the old rules stay and the error is logged and
    returned.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        known_features: Mapping[str, Feature] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self._known_features = known_features
        self._lock = threading.Lock()
        self._current = load_rules(self.path, known_features)
        self.last_error: RulesError | None = None

    @property
    def current(self) -> RuleSet:
        return self._current

    def reload(self) -> RulesError | None:
        """Re-read the rules file; on error keep the old rules and return the error."""
        with self._lock:
            try:
                fresh = load_rules(self.path, self._known_features)
            except RulesError as exc:
                log.error("rules reload refused, keeping %s: %s", self._current.version, exc)
                self.last_error = exc
                return exc
            if fresh.version != self._current.version:
                log.info("rules %s replace %s", fresh.version, self._current.version)
            self._current = fresh
            self.last_error = None
            return None

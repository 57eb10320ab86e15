"""How values cross into the store and back: times, JSON, decisions, features.

One codec per kind of value, used by the Core path (SQLAlchemy types) and by the
statements the scoring path runs on the DBAPI connection (which apply the same
column types' processors, see :mod:`fraud.store.statements`):

* times: :class:`UTCDateTime` (aware in, aware UTC out; SQLite stores naive UTC
  text that sorts as time), and :func:`time_from_db` for rows of hand-written SQL;
* JSON: :data:`Json`, JSONB on PostgreSQL (:class:`JsonText` for JSON already
  serialised);
* decisions and features: :func:`decision_to_dict` / :func:`decision_from_dict`
  and :func:`features_to_json`, all built on :func:`json_safe`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

from fraud.domain import Action, Decision, FeatureValue, Reason, RuleResult, Versions
from fraud.jsonable import json_safe

Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Timezone-aware in and out on every backend; stored as UTC.

    SQLite has no time zones: it gets naive UTC and the zone is re-attached on
    the way out. Naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; times must carry a zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else time_from_db(value)


class JsonText(TypeDecorator):
    """A JSON value handed over already serialised, written as it is (cast to JSONB on
    PostgreSQL). For the order as received: pydantic's ``model_dump_json`` is about
    three times faster than ``model_dump`` then :func:`json.dumps`."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def time_from_db(value: Any) -> datetime:
    """A stored time as an aware UTC datetime: SQLite's naive-UTC text or datetime,
    PostgreSQL's aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def features_to_json(features: Mapping[str, FeatureValue]) -> dict[str, Any]:
    """:func:`json_safe` of a flat feature mapping, with the common types inlined:
    the general walk cost more than the rest of the write."""
    out: dict[str, Any] = {}
    for name, value in features.items():
        kind = type(value)
        if kind is float:
            out[str(name)] = value if math.isfinite(value) else None  # type: ignore[arg-type]
        elif value is None or kind is str or kind is int or kind is bool:
            out[str(name)] = value
        else:
            out[str(name)] = json_safe(value)
    return out


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """A decision as JSON-able data, with the API's field names and encodings
    (``action`` as its label); :func:`decision_from_dict` reads it back."""
    return {
        "order_id": decision.order_id,
        "score": decision.score,
        "action": decision.action.label,
        "reasons": [
            {
                "code": r.code,
                "message": r.message,
                "value": json_safe(r.value),
                "points": r.points,
                "source": r.source,
            }
            for r in decision.reasons
        ],
        "rule_hits": [
            {
                "rule_id": h.rule_id,
                "status": h.status,
                "effect": h.effect,
                "points": h.points,
                "message": h.message,
                "values": json_safe(h.values),
                "error": h.error,
            }
            for h in decision.rule_hits
        ],
        "signals_unavailable": list(decision.signals_unavailable),
        "versions": {
            "rules": decision.versions.rules,
            "model": decision.versions.model,
            "service": decision.versions.service,
        },
        "model_probability": json_safe(decision.model_probability),
    }


def decision_from_dict(data: Mapping[str, Any]) -> Decision:
    """The inverse of :func:`decision_to_dict`."""
    return Decision(
        order_id=data["order_id"],
        score=int(data["score"]),
        action=Action.from_label(data["action"]),
        reasons=tuple(_reason(r) for r in data.get("reasons", ())),
        rule_hits=tuple(_rule_result(h) for h in data.get("rule_hits", ())),
        signals_unavailable=tuple(data.get("signals_unavailable", ())),
        versions=Versions(**data["versions"]),
        model_probability=data.get("model_probability"),
    )


def _reason(r: Mapping[str, Any]) -> Reason:
    return Reason(
        code=r["code"],
        message=r["message"],
        value=r.get("value"),
        points=float(r.get("points", 0.0)),
        source=r.get("source", "rule"),
    )


def _rule_result(h: Mapping[str, Any]) -> RuleResult:
    return RuleResult(
        rule_id=h["rule_id"],
        status=h["status"],
        effect=h["effect"],
        points=float(h.get("points", 0.0)),
        message=h.get("message", ""),
        values=dict(h.get("values") or {}),
        error=h.get("error"),
    )

"""What the evidence record of a decision or an outcome holds (pure functions).

A decision record's hashed body keeps what is not personal data: the order's
amounts, countries, items, payment method and times; the feature values that
identify no one; score, action, reason codes and rule results; the versions of
everything that decided (rules, model, service, geo database build). The personal
part (the order exactly as received, every feature, the reasons in words with
their values, the values each rule saw) is sealed under the customer's key (see
:mod:`~fraud.evidence.sealing`); the body holds its commitment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from fraud.domain import FeatureValue, Outcome

PERSONAL_ORDER_FIELDS: dict[str | None, tuple[str, ...]] = {
    None: ("ip_address", "user_agent", "device_id"),
    "customer": ("account_id", "name", "email", "phone"),
    "billing_address": ("street", "house_number", "postal_code", "city", "recipient"),
    "shipping_address": ("street", "house_number", "postal_code", "city", "recipient"),
    "payment": ("card_last4",),
}
"""Fields of an order that identify a person, by the part of the order they are in."""

PERSONAL_FEATURES = frozenset({"ip_city", "billing_city", "shipping_city", "email_domain"})
"""Feature values that can identify a person (a village, a one-person company domain)."""

DECISION_ACTOR = "scoring-service"


def public_order(order_json: Mapping[str, Any]) -> dict[str, Any]:
    """The order without its personal fields (a copy)."""
    out = dict(order_json)
    for part, names in PERSONAL_ORDER_FIELDS.items():
        if part is None:
            for name in names:
                out.pop(name, None)
            continue
        inner = out.get(part)
        if isinstance(inner, Mapping):
            out[part] = {k: v for k, v in inner.items() if k not in names}
    return out


def decision_record(
    order_json: bytes,
    decision: Mapping[str, Any],
    features: Mapping[str, FeatureValue],
    sources: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(hashed data, personal part) of a decision's evidence record.

    ``order_json``: the order as received (``Order.model_dump_json``); ``decision``:
    :func:`~fraud.store.codecs.decision_to_dict`; ``features``: JSON-safe values.
    On every scored order: the order goes in as JSON already written
    (:class:`orjson.Fragment`), and floats are made canonical here, where they are
    known to be (features, points, probability), so the record never needs a walk
    over the whole order.
    """
    public = public_order(orjson.loads(order_json))
    reasons = decision["reasons"]
    hits = decision["rule_hits"]
    data = {
        "order_id": decision["order_id"],
        # pydantic writes amounts and times as text: no floats, so sorting is enough
        "order": orjson.Fragment(orjson.dumps(public, option=orjson.OPT_SORT_KEYS)),
        "features": {k: v for k, v in features.items() if k not in PERSONAL_FEATURES},
        "signals": {
            "unavailable": list(decision["signals_unavailable"]),
            "sources": {**decision["versions"], **dict(sources)},
        },
        "result": {
            "score": decision["score"],
            "action": decision["action"],
            "model_probability": _number(decision["model_probability"]),
            "reasons": [
                {"code": r["code"], "points": _number(r["points"]), "source": r["source"]}
                for r in reasons
            ],
            "rule_hits": [
                {
                    "rule_id": h["rule_id"],
                    "status": h["status"],
                    "effect": h["effect"],
                    "points": _number(h["points"]),
                    "error": h["error"],
                }
                for h in hits
            ],
        },
    }
    personal = {
        "order": orjson.Fragment(order_json),
        "features": dict(features),
        "reasons": [{"code": r["code"], "message": r["message"], "value": r["value"]}
                    for r in reasons],
        "rule_values": {h["rule_id"]: h["values"] for h in hits if h["values"]},
    }
    # the chain's canonical form turns the features' integral floats into integers
    return data, personal


_EXACT = 2**53


def _number(value: Any) -> Any:
    """RFC 8785 writes an integral float without its ``.0``."""
    if type(value) is float and value.is_integer() and -_EXACT < value < _EXACT:
        return int(value)
    return value


def outcome_record(order_id: str, outcome: Outcome, at: datetime) -> dict[str, Any]:
    """The hashed data of an outcome's record (it holds nothing personal)."""
    return {"order_id": order_id, "outcome": Outcome(outcome).value, "at": at.isoformat()}

"""Domain objects that flow through the pipeline: frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, Literal

FeatureValue = float | int | bool | str | None
FeatureKind = Literal["num", "bool", "cat", "text"]


class Action(IntEnum):
    """Ordered, so the stricter of two outcomes is ``max(a, b)``."""

    APPROVE = 0
    REVIEW = 1
    DECLINE = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Action:
        try:
            return cls[label.upper()]
        except KeyError:
            allowed = ", ".join(a.label for a in cls)
            raise ValueError(f"unknown action {label!r}; allowed: {allowed}") from None


class Outcome(StrEnum):
    """What happened to an order later, as the order service reports it."""

    PAID = "paid"
    REFUNDED = "refunded"
    CHARGEBACK = "chargeback"
    FRAUD_CONFIRMED = "fraud_confirmed"
    LEGIT_CONFIRMED = "legit_confirmed"

    @property
    def is_fraud(self) -> bool:
        return self in (Outcome.CHARGEBACK, Outcome.FRAUD_CONFIRMED)


@dataclass(frozen=True)
class Feature:
    """One named value in the feature vector.

    ``kind`` ``text`` values are shown to people and used by rules' messages but
    never fed to the model. ``description`` is one sentence for the review page
    and the docs.
    """

    name: str
    kind: FeatureKind
    description: str
    signal: str = ""


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    value: FeatureValue = None
    points: float = 0.0
    source: Literal["rule", "model", "signal"] = "rule"


@dataclass(frozen=True)
class RuleResult:
    """Every rule evaluation yields one: hit, no_hit or error (never raises)."""

    rule_id: str
    status: Literal["hit", "no_hit", "error"]
    effect: str
    points: float = 0.0
    message: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Versions:
    rules: str
    model: str
    service: str


@dataclass(frozen=True)
class Decision:
    order_id: str
    score: int
    action: Action
    reasons: tuple[Reason, ...]
    rule_hits: tuple[RuleResult, ...]
    signals_unavailable: tuple[str, ...]
    versions: Versions
    model_probability: float | None = None

"""Response and request shapes of the JSON API (the order itself is fraud.schema.Order)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fraud.domain import Decision, Outcome
from fraud.schema import Timestamp

ActionLabel = Literal["approve", "review", "decline"]


class ReasonOut(BaseModel):
    code: str = Field(description="Stable code: a rule id, a model feature or `signal_unavailable`")
    message: str = Field(description="Plain English for a reviewer")
    value: Any = Field(None, description="The value behind the reason, where there is one")


class RuleHitOut(BaseModel):
    rule_id: str
    effect: Literal["points", "review", "decline", "allow"]
    points: float
    message: str


class VersionsOut(BaseModel):
    rules: str = Field(
        description="Rules file version + content hash", examples=["2026-11-25.1+3fa9c2d1"]
    )
    model: str = Field(description="Model version, or `none (rules only)`")
    service: str


class DecisionOut(BaseModel):
    order_id: str
    score: int = Field(ge=0, le=100, description="0 = no risk seen, 100 = certain fraud")
    action: ActionLabel
    reasons: list[ReasonOut] = Field(description="Top reasons, most weighty first")
    rule_hits: list[RuleHitOut]
    signals_unavailable: list[str] = Field(
        description="Signals (or `model`) that could not be computed for this order"
    )
    versions: VersionsOut
    model_probability: float | None = None

    @classmethod
    def from_decision(cls, d: Decision) -> DecisionOut:
        return cls(
            order_id=d.order_id,
            score=d.score,
            action=d.action.label,  # type: ignore[arg-type]
            reasons=[ReasonOut(code=r.code, message=r.message, value=r.value) for r in d.reasons],
            rule_hits=[
                RuleHitOut(rule_id=h.rule_id, effect=h.effect, points=h.points, message=h.message)  # type: ignore[arg-type]
                for h in d.rule_hits
            ],
            signals_unavailable=list(d.signals_unavailable),
            versions=VersionsOut(
                rules=d.versions.rules, model=d.versions.model, service=d.versions.service
            ),
            model_probability=d.model_probability,
        )


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome = Field(examples=["chargeback"])
    at: Timestamp = Field(description="When it happened", examples=["2027-01-12T10:00:00+01:00"])


class OutcomeOut(BaseModel):
    order_id: str
    outcome: Outcome
    at: datetime


class StoredOrderOut(BaseModel):
    order_id: str
    order: dict[str, Any] = Field(description="The order as received, in canonical JSON")
    decision: DecisionOut | None
    outcomes: list[OutcomeOut] = []


class FieldError(BaseModel):
    field: str = Field(examples=["payment.amount"])
    reason: str = Field(examples=["Input should be greater than or equal to 0"])


class ErrorOut(BaseModel):
    """Every error has this shape, whatever its status."""

    code: str = Field(examples=["invalid_input"])
    message: str
    fields: list[FieldError] = []


class HealthOut(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    checks: dict[str, str] = {}

"""Response and request shapes of the JSON API (the order itself is fraud.schema.Order).

Every field has a description and every model a realistic example: the OpenAPI page
(/docs) is the API's reference, and tests/api/test_openapi.py keeps it complete.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.examples import DECISION, ORDER
from fraud.domain import Decision, Outcome
from fraud.schema import Timestamp

ActionLabel = Literal["approve", "review", "decline"]

OUTCOME_EXAMPLE = {
    "order_id": ORDER["order_id"], "outcome": "chargeback", "at": "2027-01-12T10:00:00+01:00"
}


class ReasonOut(BaseModel):
    code: str = Field(
        description="Stable code: a rule id, a model feature or `signal_unavailable` "
        "(docs/rules.md and docs/signals.md list them all)",
        examples=["disposable_email"],
    )
    message: str = Field(
        description="Plain English for a reviewer",
        examples=["The e-mail address uses a disposable (throwaway) domain, mailinator.com."],
    )
    value: Any = Field(
        default=None,
        description="The value behind the reason, in the unit of the feature named by `code` "
        "(for a rule: the first value its message quotes); null where there is none",
        examples=["mailinator.com"],
    )


class RuleHitOut(BaseModel):
    rule_id: str = Field(
        description="Stable id of the rule in the rules file", examples=["three_ds_failed"]
    )
    effect: Literal["points", "review", "decline", "allow"] = Field(
        description="What the rule does: add points, force at least review, force decline, "
        "or allow (approve unless a decline rule hit too)",
        examples=["points"],
    )
    points: float = Field(
        description="Points the rule added to the score (0 for the other effects)", examples=[30.0]
    )
    message: str = Field(
        description="The rule's sentence for a reviewer, with this order's values",
        examples=["The card holder failed 3-D Secure authentication for this payment."],
    )


class VersionsOut(BaseModel):
    rules: str = Field(
        description="Rules file version + content hash", examples=["2026-11-25.1+30c5e0fd"]
    )
    model: str = Field(
        description="Model version, or `none (rules only)` when no model is served",
        examples=["2026-11-25-sim-7579e02f"],
    )
    service: str = Field(description="Version of this service", examples=["0.1.0"])


class DecisionOut(BaseModel):
    """The decision on one order. The example is the service's real answer to the
    example order (bundled rules and model, empty store)."""

    model_config = ConfigDict(json_schema_extra={"examples": [DECISION]})

    order_id: str = Field(description="The order's id, as sent", examples=["O-README-1"])
    score: int = Field(
        ge=0, le=100, description="0 = no risk seen, 100 = certain fraud", examples=[100]
    )
    action: ActionLabel = Field(
        description="What the order service should do: `approve`, hold for `review`, or "
        "`decline` (thresholds `FRAUD_REVIEW_THRESHOLD`, `FRAUD_DECLINE_THRESHOLD`)",
        examples=["decline"],
    )
    reasons: list[ReasonOut] = Field(
        description="Top reasons (at most `FRAUD_MAX_REASONS`), most weighty first"
    )
    rule_hits: list[RuleHitOut] = Field(description="Every rule that hit, in file order")
    signals_unavailable: list[str] = Field(
        description="Signals (or `model`) that could not be computed for this order; each "
        "adds `FRAUD_UNAVAILABLE_POINTS`",
        examples=[[]],
    )
    versions: VersionsOut = Field(description="What decided: rules, model and service versions")
    model_probability: float | None = Field(
        default=None,
        description="The model's calibrated fraud probability, 0-1; null when no model is "
        "served (the rules alone decide)",
        examples=[0.93],
    )

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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{k: OUTCOME_EXAMPLE[k] for k in ("outcome", "at")}]},
    )

    outcome: Outcome = Field(
        description="What happened: `paid`, `refunded`, `chargeback`, `fraud_confirmed` or "
        "`legit_confirmed`",
        examples=["chargeback"],
    )
    at: Timestamp = Field(
        description="When it happened (ISO 8601 with offset); history signals of later "
        "orders use it from that time on",
        examples=["2027-01-12T10:00:00+01:00"],
    )


class OutcomeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [OUTCOME_EXAMPLE]})

    order_id: str = Field(description="The order the outcome belongs to", examples=["O-README-1"])
    outcome: Outcome = Field(description="What happened", examples=["chargeback"])
    at: datetime = Field(description="When it happened", examples=["2027-01-12T10:00:00+01:00"])


class StoredOrderOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "order_id": ORDER["order_id"], "order": ORDER, "decision": DECISION,
        "outcomes": [OUTCOME_EXAMPLE],
    }]})

    order_id: str = Field(description="The order's id", examples=["O-README-1"])
    order: dict[str, Any] = Field(
        description="The order as received (after validation: every field it sent), in "
        "canonical JSON"
    )
    decision: DecisionOut | None = Field(
        description="The latest decision on the order (null only for an order stored without "
        "one)"
    )
    outcomes: list[OutcomeOut] = Field(
        default_factory=list, description="Outcomes reported for the order, oldest first"
    )
    review: ReviewOut | None = Field(
        None,
        description="Where a reviewer's work on a held order stands (null: never held, or "
        "nobody acted yet). `approved` or `cancelled` is the final decision.",
    )


class ReviewOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "approved", "by": "rita", "at": "2026-11-25T14:20:00Z"}]})

    status: Literal["open", "escalated", "approved", "cancelled"] = Field(
        description="`approved` / `cancelled`: decided by a reviewer (final); `escalated`: "
        "waiting for a senior; `open`: being worked"
    )
    by: str | None = Field(
        None, description="The reviewer who decided or claimed it", examples=["rita"]
    )
    at: datetime = Field(description="When the status last changed (UTC)")


class FieldError(BaseModel):
    field: str = Field(
        description="Dotted path of the field in the request (`body` for the request as a "
        "whole, e.g. malformed JSON)",
        examples=["payment.amount"],
    )
    reason: str = Field(
        description="What is wrong with it; the input itself is never echoed",
        examples=["Input should be greater than or equal to 0"],
    )


class ErrorOut(BaseModel):
    """Every error has this shape, whatever its status."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "invalid_input",
        "message": "payment.amount: Input should be greater than or equal to 0",
        "fields": [{"field": "payment.amount",
                    "reason": "Input should be greater than or equal to 0"}],
    }]})

    code: str = Field(
        description="Machine-readable kind: `invalid_input`, `unauthorized`, `not_found`, "
        "`conflict`, `too_large`, `store_unavailable`, `internal_error`",
        examples=["invalid_input"],
    )
    message: str = Field(
        description="One line for a person",
        examples=["payment.amount: Input should be greater than or equal to 0"],
    )
    fields: list[FieldError] = Field(
        default_factory=list,
        description="For invalid input: every field that is wrong, with the reason",
    )


class HealthOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "status": "ok",
        "checks": {"store": "ok", "rules": "2026-11-25.1+30c5e0fd", "geo": "ok",
                   "model": "2026-11-25-sim-7579e02f"},
    }]})

    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="`ok`; `degraded` when the geo database or the model is missing (scoring "
        "still answers, leaning to review); `unavailable` when the store is unreachable",
        examples=["ok"],
    )
    checks: dict[str, str] = Field(
        default_factory=dict,
        description="Per part (`store`, `rules`, `geo`, `model`): `ok`, the version loaded, "
        "or what is wrong",
    )

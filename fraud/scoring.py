"""THE pipeline, in two steps every caller shares.

* :func:`assess` says what an order *is*: its linking keys (computed once),
  its features, the model's probability and reasons, and which signals were
  unavailable (the model included, when one was wanted but cannot answer).
* :func:`decide_on` decides on an assessment with a rule set and thresholds
  (:func:`judge` is the same step, keeping every rule's result).

:func:`score_order` is their composition. The API, the CLI, batch scoring, the
demo loader and the replay tools (:mod:`fraud.replay`: backtests, shadow rules)
call these functions and never a copy of their steps, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from fraud import __version__
from fraud.decision import Thresholds, decide
from fraud.domain import Decision, FeatureValue, Reason, RuleResult, Versions
from fraud.features import FeatureVector, build_features
from fraud.keys import OrderKeys, order_keys
from fraud.model.scorer import RULES_ONLY, ModelScorer
from fraud.monitoring.stages import timed
from fraud.rules import RuleSet, evaluate
from fraud.schema import Order
from fraud.signals import Context

if TYPE_CHECKING:
    from fraud.settings import Settings

MODEL_SIGNAL = "model"
"""The name an unavailable model is reported under, beside the signals."""


@dataclass(frozen=True)
class Assessment:
    """What one order is, before any rule set judges it.

    Rule sets, thresholds and versions of the rules do not enter here, so one
    assessment can be decided by any number of rule sets (backtests, shadow).
    """

    order_id: str
    keys: OrderKeys
    features: FeatureVector
    model_version: str = RULES_ONLY
    model_probability: float | None = None
    model_reasons: tuple[Reason, ...] = ()
    signals_unavailable: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, FeatureValue]:
        return self.features.values


@dataclass(frozen=True)
class Scored:
    """A decision and the assessment it was made on."""

    decision: Decision
    assessment: Assessment

    @property
    def features(self) -> FeatureVector:
        return self.assessment.features


def thresholds_from(settings: Settings) -> Thresholds:
    """The thresholds every decision uses, from the settings."""
    return Thresholds(
        settings.review_threshold, settings.decline_threshold, settings.unavailable_points
    )


def assess(
    order: Order,
    ctx: Context,
    model: ModelScorer | None = None,
    *,
    model_unavailable: bool = False,
    features: FeatureVector | None = None,
) -> Assessment:
    """What ``order`` is, as of its own ``created_at``.

    Signals read only what ``ctx`` hands them (geo database, history strictly
    before the order). With a ``model``, its probability and reasons are added;
    a model that fails on this order is reported unavailable, as is a model
    that was configured but could not be loaded (``model_unavailable``), so the
    decision leans to review and names it. ``features`` skips computing them
    again when they were computed elsewhere (a forked worker of a replay).
    """
    keys = order_keys(order)
    if features is None:
        with timed("signals"):
            features = build_features(order, replace(ctx, order_keys=keys))
    unavailable = features.signals_unavailable
    probability: float | None = None
    reasons: tuple[Reason, ...] = ()
    if model is not None:
        try:
            with timed("model"):
                p, found = model.predict_one(features.values)
            probability, reasons = float(p), tuple(found)
        except Exception:  # a broken model must not stop the decision
            probability, reasons = None, ()
            unavailable = (*unavailable, MODEL_SIGNAL)
    elif model_unavailable:
        unavailable = (*unavailable, MODEL_SIGNAL)
    return Assessment(
        order_id=order.order_id,
        keys=keys,
        features=features,
        model_version=model.version if model is not None else RULES_ONLY,
        model_probability=probability,
        model_reasons=reasons,
        signals_unavailable=unavailable,
    )


@dataclass(frozen=True)
class Judgement:
    """Every rule's result (hits, misses and errors) and the decision they led to."""

    results: tuple[RuleResult, ...]
    decision: Decision


def judge(
    assessment: Assessment,
    rules: RuleSet,
    thresholds: Thresholds,
    *,
    max_reasons: int = 5,
) -> Judgement:
    """:func:`decide_on`, keeping every rule's result (backtests count misses and errors)."""
    versions = Versions(rules=rules.version, model=assessment.model_version, service=__version__)
    with timed("rules"):
        results = tuple(evaluate(rules, assessment.values, assessment.keys))
        decision = decide(
            assessment.order_id,
            results,
            thresholds,
            versions,
            model_probability=assessment.model_probability,
            model_reasons=assessment.model_reasons,
            signals_unavailable=assessment.signals_unavailable,
            max_reasons=max_reasons,
        )
    return Judgement(results, decision)


def decide_on(
    assessment: Assessment,
    rules: RuleSet,
    thresholds: Thresholds,
    *,
    max_reasons: int = 5,
) -> Decision:
    """The decision ``rules`` and ``thresholds`` make on ``assessment``.

    Pure: the same assessment, rules version and thresholds always give the
    same decision.
    """
    return judge(assessment, rules, thresholds, max_reasons=max_reasons).decision


def score_order(
    order: Order,
    ctx: Context,
    rules: RuleSet,
    model: ModelScorer | None = None,
    *,
    model_unavailable: bool = False,
) -> Scored:
    """Score one order as of its own ``created_at``: :func:`assess`, then :func:`decide_on`.

    Signals read only what ``ctx`` hands them (geo database, history strictly
    before the order). Rules always run; the model adds its probability when
    one is loaded. ``model_unavailable`` says a model was configured but could
    not be loaded: the decision then leans to review and names it.
    The same order, rules version and model version always give the same score.
    """
    assessment = assess(order, ctx, model, model_unavailable=model_unavailable)
    decision = decide_on(
        assessment, rules, thresholds_from(ctx.settings), max_reasons=ctx.settings.max_reasons
    )
    return Scored(decision, assessment)

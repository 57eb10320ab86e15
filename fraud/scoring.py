"""``score_order``: THE pipeline. The API, the CLI, batch scoring and backtests
all call this one function, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

from fraud import __version__
from fraud.decision import Thresholds, decide
from fraud.domain import Decision, Versions
from fraud.features import FeatureVector, build_features
from fraud.keys import order_keys
from fraud.model.scorer import RULES_ONLY, ModelScorer
from fraud.rules import RuleSet, evaluate
from fraud.schema import Order
from fraud.signals import Context


@dataclass(frozen=True)
class Scored:
    decision: Decision
    features: FeatureVector


def thresholds_from(ctx: Context) -> Thresholds:
    s = ctx.settings
    return Thresholds(s.review_threshold, s.decline_threshold, s.unavailable_points)


def score_order(
    order: Order,
    ctx: Context,
    rules: RuleSet,
    model: ModelScorer | None = None,
    *,
    model_unavailable: bool = False,
) -> Scored:
    """Score one order as of its own ``created_at``.

    Signals read only what ``ctx`` hands them (geo database, history strictly
    before the order). Rules always run; the model adds its probability when
    one is loaded. ``model_unavailable`` says a model was configured but could
    not be loaded: the decision then leans to review and names it.
    The same order, rules version and model version always give the same score.
    """
    features = build_features(order, ctx)
    results = evaluate(rules, features.values, order_keys(order))

    probability = None
    model_reasons: tuple = ()
    unavailable = list(features.signals_unavailable)
    if model is not None:
        try:
            probability, reasons = model.predict_one(features.values)
            model_reasons = tuple(reasons)
        except Exception:  # a broken model must not stop the decision
            probability = None
            unavailable.append("model")
    elif model_unavailable:
        unavailable.append("model")

    versions = Versions(
        rules=rules.version,
        model=model.version if model is not None else RULES_ONLY,
        service=__version__,
    )
    decision = decide(
        order.order_id,
        results,
        thresholds_from(ctx),
        versions,
        model_probability=probability,
        model_reasons=model_reasons,
        signals_unavailable=unavailable,
        max_reasons=ctx.settings.max_reasons,
    )
    return Scored(decision, features)

"""Champion against challenger on the same recent labelled orders.

Both models score the features stored with each decision (the values the live model saw),
so they are compared on exactly the same inputs and labels; the figures are the
evaluation's (:func:`fraud.model.evaluate.evaluate_scores`): ROC-AUC, PR-AUC, recall,
precision and expected cost at each review rate and at the service's thresholds, with
the cost figures from the settings. Labels follow the training's policy
(:class:`~fraud.model.dataset.LabelPolicy`): reviewers' decisions and reported outcomes
known by the cut-off, and silence as good only past the maturity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from fraud.domain import Outcome
from fraud.model.dataset import LabelPolicy, OutcomeEvent, label_orders
from fraud.model.evaluate import Evaluation, ScoreSet, evaluate_scores
from fraud.model.serving import ServedModel
from fraud.settings import Settings
from fraud.store.decided import decided_between, outcomes_between

MAX_ORDERS = 200_000


@dataclass(frozen=True)
class Comparison:
    since: datetime
    until: datetime
    orders: int  # stored orders in the window
    labelled: int  # of those, labelled at the cut-off
    evaluation: Evaluation


def compare_models(
    session: Session,
    champion: ServedModel,
    challenger: ServedModel,
    settings: Settings,
    *,
    since: datetime,
    until: datetime,
    policy: LabelPolicy,
) -> Comparison:
    """Score the labelled orders created in ``[since, until)`` with both models.

    Raises ``ValueError`` when no order of the window is labelled yet.
    """
    rows = list(decided_between(session, since, until, limit=MAX_ORDERS))
    created = pd.Series([r.created_at for r in rows], index=[r.order_id for r in rows],
                        dtype=object)
    events = [OutcomeEvent(order_id, Outcome(outcome), at)
              for order_id, outcome, at in outcomes_between(session, since, until)]
    labels = label_orders(created, events, policy) if rows else pd.Series(dtype=float)
    known = labels.dropna().to_dict()
    keep = [r for r in rows if r.order_id in known]
    if not keep:
        raise ValueError(
            f"none of the {len(rows)} stored orders from {since.isoformat()} to "
            f"{until.isoformat()} is labelled at {policy.cutoff.isoformat()}: choose an "
            "older window (--days, --until) or wait for outcomes")
    names = sorted(set(champion.feature_names) | set(challenger.feature_names))
    frame = pd.DataFrame([{n: r.features.get(n) for n in names} for r in keep])
    y = np.array([known[r.order_id] for r in keep], dtype=int)
    amount = np.array([_amount(r.features.get("amount_eur")) for r in keep])
    sets = [ScoreSet(f"champion {champion.version}", champion.predict_frame(frame), True),
            ScoreSet(f"challenger {challenger.version}", challenger.predict_frame(frame), True)]
    evaluation = evaluate_scores(y, amount, sets, settings,
                                 order_ids=np.array([r.order_id for r in keep], dtype=object))
    return Comparison(since, until, len(rows), len(keep), evaluation)


def _amount(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")

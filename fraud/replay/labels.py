"""Labels for a replay: which orders count as fraud, and where that knowledge came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from fraud.domain import Outcome
from fraud.replay.replay import Replay

FRAUD_OUTCOMES = frozenset(o.value for o in Outcome if o.is_fraud)


@dataclass(frozen=True, eq=False)
class Labels:
    """Which replayed orders count as fraud, and where that knowledge came from.

    ``is_fraud`` is a boolean series indexed like the replay. ``source`` is
    ``"truth"`` (a ground-truth file) or ``"outcomes"`` (chargeback or confirmed
    fraud reported by ``cutoff``; every other order counts as good).
    """

    is_fraud: pd.Series
    source: str
    cutoff: pd.Timestamp | None = None

    def describe(self) -> str:
        if self.source == "truth":
            return "ground truth file"
        when = self.cutoff.isoformat() if self.cutoff is not None else "never"
        return f"chargeback or confirmed fraud reported by {when}"


def labels_for(
    replay: Replay,
    cutoff: datetime | str | pd.Timestamp | None = None,
    truth: pd.DataFrame | None = None,
) -> Labels:
    """Labels for every replayed order.

    With ``truth`` (``order_id``, ``is_fraud``, as :func:`fraud.simulate.read_truth`
    returns it) the truth decides, and every replayed order must be in it.
    Otherwise an order is fraud when a chargeback or confirmed fraud was
    reported by ``cutoff`` (default: the last reported outcome, i.e. everything
    known); fraud not yet reported counts as good, as it would in production.
    """
    index = replay.orders.index
    if truth is not None:
        table = truth.set_index(truth["order_id"].astype(str))["is_fraud"]
        missing = index.difference(table.index)
        if len(missing):
            raise ValueError(
                f"{len(missing)} replayed orders are not in the truth file, e.g. {missing[0]!r}"
            )
        return Labels(table.reindex(index).astype(bool).rename("is_fraud"), "truth")
    events = replay.outcomes
    if cutoff is None:
        stamp = events["at"].max() if len(events) else None
    else:
        stamp = pd.Timestamp(cutoff)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if stamp is None or pd.isna(stamp):
        return Labels(pd.Series(False, index=index, name="is_fraud"), "outcomes", None)
    known = events[(events["at"] <= stamp) & events["outcome"].isin(FRAUD_OUTCOMES)]
    is_fraud = pd.Series(index.isin(known["order_id"]), index=index, name="is_fraud")
    return Labels(is_fraud, "outcomes", stamp)

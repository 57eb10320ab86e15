"""What happens to orders later, as timestamped events: payment within hours,
returns within weeks, chargebacks one to three months on. Training code must
only use the events it could have seen at the time (see :func:`labels_as_of`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = 86_400
# pattern -> (share chargeback, share fraud_confirmed); the rest is never caught
_DETECTION = {
    "stolen_card": (0.72, 0.20),
    "reshipper": (0.70, 0.20),
    "fraud_ring": (0.65, 0.25),
    "account_takeover": (0.40, 0.50),
    "card_testing": (0.35, 0.50),
}
# Patterns added later: looked at only when present, so that older shops' draws stay the same.
_LATER_DETECTION = {
    "reused_contact": (0.72, 0.20),
    "address_burst": (0.60, 0.30),
}
REFUND_RATE = 0.04
LEGIT_CONFIRMED_RATE = 0.015


def outcome_events(rng: np.random.Generator, t: np.ndarray, pattern: np.ndarray,
                   method: np.ndarray) -> pd.DataFrame:
    """Events (order row, outcome, epoch seconds) for orders placed at ``t``."""
    n = len(t)
    rows, kinds, ats = [], [], []

    def emit(mask: np.ndarray, kind: str, low: float, high: float) -> None:
        idx = np.flatnonzero(mask)
        rows.append(idx)
        kinds.append(np.full(len(idx), kind, dtype=object))
        ats.append(t[idx] + rng.integers(int(low), int(high), len(idx)))

    transfer = method == "bank_transfer"
    emit(~transfer, "paid", 60, 2 * 3600)
    emit(transfer, "paid", DAY, 3 * DAY)
    honest = pattern == "none"
    u = rng.random(n)
    emit(honest & (u < REFUND_RATE), "refunded", 3 * DAY, 30 * DAY)
    emit(honest & (u > 1 - LEGIT_CONFIRMED_RATE), "legit_confirmed", 3600, 3 * DAY)
    friendly = pattern == "friendly_fraud"
    emit(friendly & (u < 0.9), "chargeback", 30 * DAY, 120 * DAY)
    emit(friendly & (u >= 0.9), "refunded", 7 * DAY, 30 * DAY)
    for name, (chargeback, confirmed) in _DETECTION.items():
        mine = pattern == name
        emit(mine & (u < chargeback), "chargeback", 30 * DAY, 90 * DAY)
        emit(mine & (u >= chargeback) & (u < chargeback + confirmed), "fraud_confirmed",
             3600, 20 * DAY)
    for name, (chargeback, confirmed) in _LATER_DETECTION.items():
        mine = pattern == name
        if mine.any():
            emit(mine & (u < chargeback), "chargeback", 30 * DAY, 90 * DAY)
            emit(mine & (u >= chargeback) & (u < chargeback + confirmed), "fraud_confirmed",
                 3600, 20 * DAY)
    frame = pd.DataFrame({"row": np.concatenate(rows), "outcome": np.concatenate(kinds),
                          "at": np.concatenate(ats)})
    return frame.sort_values(["at", "row"], kind="stable").reset_index(drop=True)


def labels_as_of(outcomes: pd.DataFrame, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """Each order's latest known outcome at ``as_of`` (later events are not yet known).

    ``outcomes`` has columns order_id, outcome and at (ISO text or timestamps), as
    :func:`fraud.simulate.read_outcomes` returns them. The result has one row per
    order with an outcome by then, and ``is_fraud`` (chargeback or confirmed fraud).
    """
    at = pd.to_datetime(outcomes["at"], utc=True)
    cutoff = pd.Timestamp(as_of)
    cutoff = cutoff.tz_localize("UTC") if cutoff.tzinfo is None else cutoff
    known = outcomes[at <= cutoff].assign(at=at[at <= cutoff])
    fraud = known["outcome"].isin(["chargeback", "fraud_confirmed"])
    labels = known.assign(is_fraud=fraud).groupby("order_id", sort=False).agg(
        outcome=("outcome", "last"), at=("at", "last"), is_fraud=("is_fraud", "max"))
    return labels.reset_index()

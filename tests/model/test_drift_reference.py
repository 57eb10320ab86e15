"""The drift reference is the traffic the model was last trained on: the latest training
weeks, not the whole training window of a store whose customers build up history."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from fraud.model.drift import compare
from fraud.model.reference import REFERENCE_DAYS, reference_mask, training_profile

THRESHOLD = 0.25
KINDS = {"account_prior_orders": "num", "account_age_days": "num", "amount_eur": "num",
         "max_unit_price_eur": "num", "country": "cat"}
START = pd.Timestamp(datetime(2026, 6, 1, tzinfo=UTC))


def _orders(rng: np.random.Generator, first_day: float, last_day: float, n: int) -> pd.DataFrame:
    """A shop that opened on day 0: its customers' history grows with the shop's age."""
    day = np.sort(rng.uniform(first_day, last_day, n))
    age = rng.uniform(0, 1, n) * day  # an account is at most as old as the shop
    prices = rng.lognormal(4, 0.8, n)
    return pd.DataFrame({
        "created_at": START + pd.to_timedelta(day, unit="D"),
        "account_prior_orders": rng.poisson(age / 7),
        "account_age_days": age,
        "amount_eur": prices * rng.integers(1, 4, n),
        "max_unit_price_eur": prices,
        "country": rng.choice(["NL", "BE", "DE"], n, p=[0.6, 0.3, 0.1]),
    })


def _columns(frame: pd.DataFrame, price_factor: float = 1.0) -> dict[str, list]:
    columns = {name: frame[name].tolist() for name in KINDS}
    for name in ("amount_eur", "max_unit_price_eur"):
        columns[name] = (frame[name] * price_factor).tolist()
    return columns


def _reference(training: pd.DataFrame, mask: np.ndarray):  # noqa: ANN202 - a Profile
    rows = training[mask]
    return training_profile(rows[list(KINDS)], KINDS, np.full(len(rows), 0.01))


def test_the_reference_is_the_last_training_weeks_and_says_so():
    rng = np.random.default_rng(3)
    training = _orders(rng, 0, 120, 4000)
    in_training = np.ones(len(training), dtype=bool)
    in_training[-200:] = False  # e.g. the validation window: never part of the reference
    rows, described = reference_mask(training["created_at"], in_training)
    last_training = training["created_at"][in_training].max()
    chosen = training["created_at"][rows]
    assert rows.sum() == described["orders"] and not (rows & ~in_training).any()
    assert chosen.max() == last_training
    assert chosen.min() >= last_training - pd.Timedelta(days=REFERENCE_DAYS)
    # every training row of those days is in it
    recent = in_training & (training["created_at"] >= chosen.min()).to_numpy()
    assert (rows == recent).all()
    assert "last" in described["window"] and described["last"] == last_training.isoformat()


def test_too_few_recent_orders_fall_back_to_every_training_row():
    rng = np.random.default_rng(4)
    training = _orders(rng, 0, 120, 400)  # about 100 orders in the last 30 days
    in_training = np.ones(len(training), dtype=bool)
    rows, described = reference_mask(training["created_at"], in_training)
    assert rows.all() and described["orders"] == len(training)
    assert "all training rows" in described["window"]
    none, empty = reference_mask(training["created_at"], np.zeros(len(training), dtype=bool))
    assert not none.any() and empty["orders"] == 0


def test_growing_account_history_does_not_drift_but_a_price_shift_does():
    rng = np.random.default_rng(5)
    training = _orders(rng, 0, 120, 6000)
    in_training = np.ones(len(training), dtype=bool)
    recent_orders = _orders(rng, 120, 127, 400)  # the week after, like the last weeks
    recent = _columns(recent_orders)

    rows, _ = reference_mask(training["created_at"], in_training)
    latest = compare(_reference(training, rows), recent, threshold=THRESHOLD)
    assert not latest.is_drifting, latest.summary()

    # the whole training window (a young store's first months) drifts by construction
    whole = compare(_reference(training, in_training), recent, threshold=THRESHOLD)
    assert {"account_prior_orders", "account_age_days"} <= {m.name for m in whole.drifting}

    shifted = compare(_reference(training, rows), _columns(recent_orders, price_factor=4),
                      threshold=THRESHOLD)
    assert shifted.is_drifting
    assert {m.name for m in shifted.drifting} == {"amount_eur", "max_unit_price_eur"}


"""Labels as of a cut-off, the split by time, and features from the online pipeline."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from factories import make_order

from fraud.domain import Outcome
from fraud.features import build_features
from fraud.history import MemoryHistory
from fraud.model.dataset import (
    LabelPolicy,
    OutcomeEvent,
    RawData,
    build_dataset,
    data_fingerprint,
    label_orders,
    load_files,
    time_split,
)
from fraud.settings import Settings
from fraud.signals import Context

CUTOFF = datetime(2026, 3, 1, tzinfo=UTC)
POLICY = LabelPolicy(CUTOFF, timedelta(days=60))


def _labels(created: dict[str, datetime], events: list[OutcomeEvent]) -> dict[str, float]:
    series = label_orders(pd.Series(created), events, POLICY)
    return series.to_dict()


def test_order_with_chargeback_known_by_cutoff_is_fraud_even_when_recent() -> None:
    recent = CUTOFF - timedelta(days=5)
    labels = _labels({"A": recent},
                     [OutcomeEvent("A", Outcome.FRAUD_CONFIRMED, recent + timedelta(days=1))])
    assert labels["A"] == 1.0


def test_old_order_without_fraud_outcome_is_good_and_recent_one_unlabelled() -> None:
    labels = _labels({"old": CUTOFF - timedelta(days=61), "new": CUTOFF - timedelta(days=59)},
                     [OutcomeEvent("new", Outcome.PAID, CUTOFF - timedelta(days=58))])
    assert labels["old"] == 0.0
    assert math.isnan(labels["new"])


def test_chargeback_arriving_after_the_cutoff_is_not_known() -> None:
    created = CUTOFF - timedelta(days=90)
    labels = _labels({"A": created},
                     [OutcomeEvent("A", Outcome.CHARGEBACK, CUTOFF + timedelta(days=1))])
    assert labels["A"] == 0.0  # what training could have known: a mature order, no chargeback


def test_legit_confirmed_labels_a_recent_order_good_but_fraud_wins() -> None:
    recent = CUTOFF - timedelta(days=3)
    events = [OutcomeEvent("A", Outcome.LEGIT_CONFIRMED, recent + timedelta(hours=2)),
              OutcomeEvent("B", Outcome.LEGIT_CONFIRMED, recent + timedelta(hours=2)),
              OutcomeEvent("B", Outcome.CHARGEBACK, recent + timedelta(days=2))]
    labels = _labels({"A": recent, "B": recent}, events)
    assert labels == {"A": 0.0, "B": 1.0}


def test_orders_after_the_cutoff_are_unlabelled() -> None:
    labels = _labels({"A": CUTOFF + timedelta(days=1)}, [])
    assert math.isnan(labels["A"])


def test_time_split_leaves_a_gap_between_training_and_validation() -> None:
    start = datetime(2025, 9, 1, tzinfo=UTC)
    created = pd.Series([start + timedelta(days=d) for d in range(30)])
    split = time_split(start + timedelta(days=10), timedelta(days=5), start + timedelta(days=25))
    train, valid = split.masks(created)
    assert train.sum() == 10 and valid.sum() == 10
    assert not (train & valid).any()
    assert created[valid].min() - created[train].max() > timedelta(days=5)


def test_time_split_refuses_an_empty_validation_window() -> None:
    start = datetime(2025, 9, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="empty validation window"):
        time_split(start, timedelta(days=10), start + timedelta(days=5))


def test_fingerprint_depends_on_labelled_orders_only_not_their_order() -> None:
    a = pd.Series([1.0, 0.0, np.nan], index=["O-1", "O-2", "O-3"])
    b = pd.Series([0.0, 1.0], index=["O-2", "O-1"])
    assert data_fingerprint(a) == data_fingerprint(b)
    assert data_fingerprint(a) != data_fingerprint(pd.Series([0.0, 0.0], index=["O-1", "O-2"]))


def _raw(events: list[OutcomeEvent]) -> tuple[RawData, str]:
    first = make_order(created_at="2025-10-01T10:00:00+02:00")
    second = make_order(created_at="2025-12-01T10:00:00+01:00")
    return RawData((first, second), tuple(events), "test"), first.order_id


def test_history_features_never_see_outcomes_after_the_cutoff() -> None:
    raw, first = _raw([])
    chargeback = datetime(2025, 11, 1, tzinfo=UTC)
    raw = RawData(raw.orders, (OutcomeEvent(first, Outcome.CHARGEBACK, chargeback),), "test")
    before = build_dataset(raw, LabelPolicy(chargeback - timedelta(days=1)), Settings())
    after = build_dataset(raw, LabelPolicy(chargeback + timedelta(days=1)), Settings())
    second = raw.orders[1].order_id
    assert before.features.loc[second, "linked_fraud_weight"] == 0
    assert after.features.loc[second, "linked_fraud_weight"] > 0
    assert after.features.loc[first, "linked_fraud_weight"] == 0  # not its own, not the future


def test_dataset_features_are_what_online_scoring_computes(raw, dataset) -> None:  # noqa: ANN001
    known = [(e.order_id, e.outcome, e.at) for e in raw.outcomes if e.at <= dataset.policy.cutoff]
    history = MemoryHistory.from_orders(raw.orders, known)
    ctx = Context(settings=Settings(), geo=_geo(), history=history)
    for order in raw.orders[::97]:
        online = build_features(order, ctx).values
        row = dataset.features.loc[order.order_id].to_dict()
        assert {k: _plain(v) for k, v in row.items()} == {k: _plain(v) for k, v in online.items()}


def _geo():  # noqa: ANN202
    from fraud.geo import load_geo

    return load_geo(Settings(), {})


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def test_dataset_rows_come_in_time_order_with_rule_scores(dataset) -> None:  # noqa: ANN001
    assert dataset.created_at.is_monotonic_increasing
    assert dataset.rules_score is not None
    assert dataset.rules_score.between(0, 100).all()
    assert dataset.label.dropna().isin([0.0, 1.0]).all()
    assert list(dataset.X().columns) == list(dataset.feature_names)


def test_orders_read_from_csv_equal_those_from_jsonl(sim_files, tmp_path) -> None:  # noqa: ANN001
    from fraud.simulate import read_orders
    from fraud.simulate.io import write_table

    csv_path = tmp_path / "orders.csv"
    write_table(read_orders(sim_files["orders"]), csv_path, "csv")
    from_jsonl = load_files(sim_files["orders"], sim_files["outcomes"])
    from_csv = load_files(csv_path, sim_files["outcomes"])
    assert from_csv.orders == from_jsonl.orders
    assert from_csv.outcomes == from_jsonl.outcomes
    assert from_jsonl.source == "orders"

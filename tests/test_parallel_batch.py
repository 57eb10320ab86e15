"""Batch scoring on several processes gives exactly the sequential result.

The sample orders (time-ordered, with their outcomes) carry real linked history:
repeat customers, shared devices and addresses, chargebacks reported later. The
parallel scorer builds the whole file's history first and scores chunks on forked
workers; every decision, reason and error line must match the one-by-one scorer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fraud import parallel_batch
from fraud.batch import read_outcome_events, score_stream
from fraud.demo import SAMPLE_ORDERS, SAMPLE_OUTCOMES
from fraud.parallel_batch import in_time_order_once_each, read_items, score_parallel
from fraud.settings import Settings
from fraud.simulate import read_orders

N = 1200


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    orders = sorted(read_orders(SAMPLE_ORDERS), key=lambda o: (o["created_at"], o["order_id"]))
    return orders[:N]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None)


def numbered(bodies: list[dict]) -> Iterator[tuple[int, dict | None, str | None]]:
    for i, body in enumerate(bodies, start=1):
        if i == 7:  # a bad line keeps its place and its message
            yield i, None, "orders.jsonl:7: not JSON"
        elif i == 11:
            yield i, {**body, "payment": {**body["payment"], "amount": "-5"}}, None
        else:
            yield i, body, None


def test_parallel_scoring_matches_the_sequential_scorer_decision_for_decision(
    sample: list[dict], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel_batch, "CHUNK", 100)  # many chunks over two workers
    ids = {o["order_id"] for o in sample}
    outcomes = [e for e in read_outcome_events(SAMPLE_OUTCOMES) if e[0] in ids]
    assert in_time_order_once_each(read_items(numbered(sample), "orders.jsonl"))

    sequential = list(score_stream(numbered(sample), settings, store=False,
                                   outcomes=outcomes, source="orders.jsonl"))
    parallel = list(score_parallel(numbered(sample), settings, workers=2,
                                   outcomes=outcomes, source="orders.jsonl"))

    assert parallel == sequential
    assert len(parallel) == N
    assert parallel[6] == (None, "orders.jsonl:7: not JSON")
    assert parallel[10][0] is None and "orders.jsonl:11" in (parallel[10][1] or "")
    # the comparison means something: history and outcomes changed decisions
    codes = {r["code"] for out, _ in parallel if out for r in out["reasons"]}
    assert any(c.startswith(("account_", "shared_", "linked_", "velocity")) for c in codes), codes
    assert outcomes, "the sample's outcomes should reach these orders"


def test_a_file_out_of_time_order_is_scored_as_the_sequential_scorer_would(
    sample: list[dict], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel_batch, "CHUNK", 50)
    shuffled = sample[:300][::-1]  # newest first: history depends on the lines' order
    assert not in_time_order_once_each(read_items(numbered(shuffled), "x"))

    sequential = list(score_stream(numbered(shuffled), settings, store=False))
    parallel = list(score_parallel(numbered(shuffled), settings, workers=2))

    assert parallel == sequential


def test_a_repeated_order_id_keeps_its_first_decision_as_in_sequence(
    sample: list[dict], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel_batch, "CHUNK", 50)
    bodies = [*sample[:200], {**sample[150], "payment": {**sample[150]["payment"],
                                                         "amount": "999.00"}}]
    parallel = list(score_parallel(numbered(bodies), settings, workers=2))
    assert parallel == list(score_stream(numbered(bodies), settings, store=False))
    assert json.dumps(parallel[-1]) == json.dumps(parallel[150])

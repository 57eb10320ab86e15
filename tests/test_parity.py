"""Train/serve parity: orders scored online, one at a time with only the past in
history, get exactly the features and decisions that batch scoring over the whole
data set gives them, with the rules alone and with a model."""

from __future__ import annotations

import math
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "model"))
from tinymodel import FRAUD_RATES, shared_sample, write_model  # noqa: E402

from fraud.batch import batch_context  # noqa: E402
from fraud.features import build_frame  # noqa: E402
from fraud.history import MemoryHistory  # noqa: E402
from fraud.model.serving import ServedModel  # noqa: E402
from fraud.rules import load_rules  # noqa: E402
from fraud.schema import parse_order  # noqa: E402
from fraud.scoring import score_order  # noqa: E402
from fraud.settings import get_settings  # noqa: E402


@pytest.fixture(scope="module")
def orders_and_outcomes() -> tuple[list, list]:
    from fraud.simulate import simulate

    sim = simulate(300, days=10, seed=29, rates=FRAUD_RATES)
    orders = [parse_order(o) for o in sim.orders()]
    outcomes = [
        (r.order_id, r.outcome, datetime.fromisoformat(r.at)) for r in sim.outcomes.itertuples()
    ]
    return orders, outcomes


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> ServedModel:
    folder = write_model(tmp_path_factory.mktemp("models"), shared_sample(), version="parity")
    return ServedModel.load(folder)


def score_online(orders, outcomes, rules, model):  # noqa: ANN001, ANN201
    """As the service sees them: each order scored when it arrives, history holding
    only earlier orders and the outcomes reported before it."""
    history = MemoryHistory()
    ctx = batch_context(get_settings(), history)
    pending = sorted(outcomes, key=lambda o: o[2])
    out, k = {}, 0
    for order in sorted(orders, key=lambda o: o.created_at):
        while k < len(pending) and pending[k][2] < order.created_at:
            history.add_outcome(*pending[k])
            k += 1
        out[order.order_id] = score_order(order, ctx, rules, model)
        history.add(order)
    return out


def score_batch(orders, outcomes, rules, model):  # noqa: ANN001, ANN201
    """As a backtest sees them: one history holding every order and every outcome."""
    ctx = batch_context(get_settings(), MemoryHistory.from_orders(orders, outcomes))
    frame = build_frame(orders, ctx)
    decisions = {o.order_id: score_order(o, ctx, rules, model) for o in orders}
    return frame, decisions


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and type(a) is type(b)


@pytest.mark.parametrize("with_model", [False, True], ids=["rules only", "with model"])
def test_online_and_batch_give_identical_features_and_decisions(
    orders_and_outcomes, model, with_model: bool
) -> None:
    orders, outcomes = orders_and_outcomes
    rules = load_rules(get_settings().rules_path)
    served = model if with_model else None
    online = score_online(orders, outcomes, rules, served)
    frame, batch = score_batch(orders, outcomes, rules, served)

    for order in orders:
        live, backtest = online[order.order_id], batch[order.order_id]
        assert live.features.values.keys() == backtest.features.values.keys()
        differing = [
            name
            for name, value in live.features.values.items()
            if not same(value, backtest.features.values[name])
        ]
        assert differing == [], f"{order.order_id}: {differing}"
        assert live.decision == backtest.decision

    # the batch frame is the same feature function: its rows are the online vectors
    records = frame.astype(object).to_dict("index")
    for order in orders:
        row = records[order.order_id]
        for name, value in online[order.order_id].features.values.items():
            if value is None:
                assert row[name] is None or row[name] != row[name], name
            else:
                assert row[name] == value, name

    if with_model:
        probabilities = np.array([online[o.order_id].decision.model_probability for o in orders])
        np.testing.assert_allclose(
            model.predict_frame(frame.loc[[o.order_id for o in orders]]),
            probabilities,
            rtol=0,
            atol=1e-9,
        )
        assert {online[o.order_id].decision.versions.model for o in orders} == {"parity"}
        assert any(r.source == "model" for o in orders for r in online[o.order_id].decision.reasons)
        # the history features really vary, so the comparison means something
        assert frame["ip_orders_24h"].max() > 0 and frame["linked_fraud_weight"].notna().all()

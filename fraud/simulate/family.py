"""Many shops at once: for training a model that must hold on a shop it never saw.

Each shop is drawn with :func:`fraud.simulate.random_shop` from its own shop
seed and simulated with its own seed. To pool shops into one training set,
:func:`pooled` prefixes each shop's order and account ids with its tag
(``S1-O-00000042``), so ids stay unique and one shop's accounts never link to
another's; which shop an order came from is in the pooled truth's ``shop``
column (the order schema has no such field, on purpose).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from fraud.simulate import Simulation, io, simulate
from fraud.simulate.shop import ShopConfig, random_shop


@dataclass(frozen=True)
class ShopRun:
    """One shop of a family: its tag, its configuration and its simulated traffic."""

    tag: str
    shop: ShopConfig
    sim: Simulation


def simulate_family(k: int, n_orders: int, days: int = 90, seed: int = 0,
                    shop_seed: int | None = None,
                    start: datetime | date | str | None = None) -> list[ShopRun]:
    """``k`` random shops (shop seeds ``shop_seed``, ``shop_seed + 1``...; default: ``seed``),
    each simulated with ``n_orders`` orders and its own seed (``seed + i``)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    base = seed if shop_seed is None else shop_seed
    runs = []
    for i in range(k):
        shop = random_shop(base + i)
        runs.append(ShopRun(f"S{i + 1}", shop,
                            simulate(n_orders, days=days, seed=seed + i, start=start, shop=shop)))
    return runs


def tagged_orders(sim: Simulation, tag: str) -> Iterator[dict]:
    """The shop's orders with order and account ids prefixed ``<tag>-``."""
    for order in sim.orders():
        order["order_id"] = f"{tag}-{order['order_id']}"
        account = order["customer"].get("account_id")
        if account is not None:
            order["customer"]["account_id"] = f"{tag}-{account}"
        yield order


def pooled(runs: Sequence[ShopRun]) -> tuple[list[dict], pd.DataFrame, pd.DataFrame]:
    """(orders in time order, outcome events in time order, truth with a ``shop`` column)
    of several shops, with ids made unique by each shop's tag."""
    orders: list[dict] = []
    outcomes, truths = [], []
    for run in runs:
        orders.extend(tagged_orders(run.sim, run.tag))
        outcomes.append(run.sim.outcomes.assign(order_id=run.tag + "-" + run.sim.outcomes[
            "order_id"]))
        truth = run.sim.truth()
        truths.append(truth.assign(order_id=run.tag + "-" + truth["order_id"], shop=run.tag))
    orders.sort(key=lambda o: (pd.Timestamp(o["created_at"]), o["order_id"]))
    events = pd.concat(outcomes, ignore_index=True)
    events = events.iloc[pd.to_datetime(events["at"], utc=True).argsort(kind="stable")]
    return orders, events.reset_index(drop=True), pd.concat(truths, ignore_index=True)


def pooled_events(runs: Sequence[ShopRun]) -> list[dict]:
    """The shops' account events in time order, with event and account ids prefixed by
    each shop's tag like the orders' (so one shop's logins never meet another's orders)."""
    events = []
    for run in runs:
        for event in run.sim.account_events():
            event["event_id"] = f"{run.tag}-{event['event_id']}"
            event["account_id"] = f"{run.tag}-{event['account_id']}"
            events.append(event)
    events.sort(key=lambda e: (pd.Timestamp(e["occurred_at"]), e["event_id"]))
    return events


def write_pooled(runs: Sequence[ShopRun], orders_path: str | Path, outcomes_path: str | Path,
                 truth_path: str | Path, events_path: str | Path | None = None) -> int:
    """Write the pooled shops as one orders file (JSONL, .gz ok), one outcomes file, one
    truth CSV with a ``shop`` column and (with ``events_path``) one account events file,
    ready for ``fraud train``; returns the order count."""
    if events_path is not None:
        io.write_jsonl(pooled_events(runs), Path(events_path))
    orders, outcomes, truth = pooled(runs)
    count = io.write_jsonl(orders, Path(orders_path))
    io.write_jsonl(outcomes.to_dict("records"), Path(outcomes_path))
    rows = zip(truth["order_id"], truth["is_fraud"].astype(int), truth["pattern"],
               truth["honest_quirk"], truth["shop"], strict=True)
    io.write_csv_rows(rows, ("order_id", "is_fraud", "pattern", "honest_quirk", "shop"),
                      Path(truth_path))
    return count

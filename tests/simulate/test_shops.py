"""A family of shops: random configurations, honest customers who share keys with
many others or with an earlier fraud, and the fraud shapes that reuse a trail."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from fraud.cli.simulate import simulate_command
from fraud.schema import Order
from fraud.simulate import ShopConfig, simulate
from fraud.simulate.family import pooled, simulate_family

NEW_PATTERNS = ("reused_contact", "address_burst")
NEW_QUIRKS = ("carrier_nat", "office_network", "household_device", "shared_pickup_point",
              "victim_reorder")


def _files(sim, folder):
    folder.mkdir()
    sim.write(folder / "orders.jsonl.gz")
    sim.write_outcomes(folder / "outcomes.jsonl")
    sim.write_truth(folder / "truth.csv.gz")
    return [(folder / f).read_bytes() for f in ("orders.jsonl.gz", "outcomes.jsonl",
                                                "truth.csv.gz")]


def test_the_same_shop_and_seed_give_byte_identical_files(tmp_path):
    first = _files(simulate(1500, days=40, seed=5, shop=ShopConfig.random(8)), tmp_path / "a")
    again = _files(simulate(1500, days=40, seed=5, shop=ShopConfig.random(8)), tmp_path / "b")
    assert first == again


def test_the_default_shop_is_what_simulate_makes_without_one(tmp_path):
    plain = _files(simulate(800, days=20, seed=4), tmp_path / "a")
    named = _files(simulate(800, days=20, seed=4, shop=ShopConfig.default()), tmp_path / "b")
    assert plain == named


def test_another_shop_seed_gives_another_shop_and_the_same_one_again():
    assert ShopConfig.random(3) == ShopConfig.random(3)
    assert ShopConfig.random(3) != ShopConfig.random(4)
    assert ShopConfig.random(3) != ShopConfig.default()


def _share(weights: dict[str, float], key: str) -> float:
    return weights.get(key, 0.0) / sum(weights.values())


def test_two_shop_seeds_give_measurably_different_configurations():
    a, b = ShopConfig.random(1), ShopConfig.random(2)
    country_gap = max(abs(_share(a.countries, c) - _share(b.countries, c)) for c in a.countries)
    assert country_gap > 0.1
    assert max(a.price_scale, b.price_scale) / min(a.price_scale, b.price_scale) > 1.2
    ratio = a.rates.fraud_total() / b.rates.fraud_total()
    assert ratio > 1.25 or ratio < 0.8
    assert a.style != b.style


def test_two_shops_traffic_differs_in_countries_prices_and_fraud():
    sims = [simulate(4000, days=30, seed=1, shop=ShopConfig.random(s)) for s in (1, 2)]
    frames = []
    for sim in sims:
        orders = list(sim.orders())
        frames.append({
            "main": pd.Series([o["billing_address"]["country"] for o in orders]).value_counts(
                normalize=True),
            "amount": np.median([float(o["payment"]["amount"]) for o in orders]),
            "fraud": sim.truth()["is_fraud"].mean(),
            "guests": np.mean(["account_id" not in o["customer"] for o in orders])})
    a, b = frames
    countries = a["main"].index.union(b["main"].index)
    gap = (a["main"].reindex(countries, fill_value=0) - b["main"].reindex(countries,
                                                                         fill_value=0)).abs()
    assert gap.max() > 0.1
    assert max(a["amount"], b["amount"]) / min(a["amount"], b["amount"]) > 1.2
    assert abs(a["fraud"] - b["fraud"]) > 0.005
    assert abs(a["guests"] - b["guests"]) > 0.05


def test_every_order_of_a_random_shop_validates_against_the_order_schema(quirky):
    for order in quirky.orders():
        Order.model_validate_json(json.dumps(order))


def test_the_fast_json_lines_of_a_random_shop_are_exactly_its_orders(quirky):
    lines = list(quirky.order_lines())
    orders = list(quirky.orders())
    assert all(json.loads(line) == order for line, order in zip(lines, orders, strict=True))


def test_a_random_shop_makes_exactly_the_orders_asked_for(quirky):
    assert len(quirky.truth()) == 20_000


@pytest.mark.parametrize("shop_seed", range(6))
def test_a_small_short_run_still_makes_exactly_the_orders_asked_for(shop_seed):
    # too short for chargebacks to arrive, and few victims: plain orders make up the count
    sim = simulate(300, days=10, seed=shop_seed, shop=ShopConfig.random(shop_seed))
    assert len(sim.truth()) == 300


@pytest.mark.parametrize("pattern", NEW_PATTERNS)
def test_each_newer_fraud_shape_appears_at_its_configured_rate(quirky, pattern):
    truth = quirky.truth()
    expected = getattr(quirky.rates, pattern)
    measured = (truth["pattern"] == pattern).mean()
    tolerance = 4 * math.sqrt(expected * (1 - expected) / len(truth))
    assert expected > 0 and abs(measured - expected) <= tolerance, (measured, expected)


@pytest.mark.parametrize("quirk", NEW_QUIRKS)
def test_each_newer_honest_quirk_appears_at_its_configured_rate(quirky, quirk):
    truth = quirky.truth()
    honest = truth[(~truth["is_fraud"]) | (truth["pattern"] == "friendly_fraud")]
    expected = getattr(quirky.rates, quirk)
    measured = (honest["honest_quirk"] == quirk).mean()
    tolerance = 4 * math.sqrt(expected * (1 - expected) / len(honest)) + 0.1 * expected
    assert expected > 0 and abs(measured - expected) <= tolerance, (measured, expected)


def _customers_per_key(frame: pd.DataFrame, quirk: str, key: str) -> pd.Series:
    """For each of the quirk's orders: distinct customers (over all orders) using its key."""
    values = set(frame.loc[frame["quirk"] == quirk, key])
    per_value = frame[frame[key].isin(values)].groupby(key)["who"].nunique()
    return frame.loc[frame["quirk"] == quirk, key].map(per_value)


def test_carrier_nat_puts_many_honest_customers_behind_one_ip(quirky_frame):
    per_ip = _customers_per_key(quirky_frame, "carrier_nat", "ip")
    assert per_ip.median() >= 10
    nat = quirky_frame[quirky_frame["quirk"] == "carrier_nat"]
    assert not nat["is_fraud"].any()


def test_colleagues_share_their_office_network(quirky_frame):
    per_ip = _customers_per_key(quirky_frame, "office_network", "ip")
    assert per_ip.median() >= 5


def test_busy_pick_up_points_receive_parcels_for_many_customers(quirky_frame):
    # points serve a region, so how busy they get depends on the shop's size
    per_point = _customers_per_key(quirky_frame, "shared_pickup_point", "shipping")
    assert per_point.median() >= 5


def test_a_household_shares_one_device_and_address_between_customers(quirky_frame):
    f = quirky_frame
    house = f[f["quirk"] == "household_device"]
    assert len(house) > 100
    shared = 0
    for _, order in house.iterrows():
        same = f[(f["device"] == order["device"]) & (f["who"] != order["who"])]
        shared += bool(len(same)) and (same["billing"] == order["billing"]).all()
    # the housemate may not have ordered from the shared computer (yet)
    assert shared / len(house) > 0.5


def test_victims_keep_ordering_with_the_identity_the_fraud_used(quirky_frame):
    f = quirky_frame
    fraud = f[f["pattern"].isin(["stolen_card", "account_takeover", "address_burst"])]
    reorders = f[f["quirk"] == "victim_reorder"]
    assert len(reorders) > 30
    linked = 0
    for _, order in reorders.iterrows():
        earlier = fraud[fraud["t"] < order["t"]]
        same_person = (earlier["billing"] == order["billing"]) & (earlier["name"] == order["name"])
        same_account = earlier["account"].notna() & (earlier["account"] == order["account"])
        same_card = earlier["card"].notna() & (earlier["card"] == order["card"])
        assert (same_person | same_account | same_card).any(), order["order_id"]
        linked += bool(same_card.any())
    assert linked > 0  # some victims pay with the very card the fraudster used


def test_reused_contact_fraud_carries_the_email_or_phone_of_an_earlier_chargeback(quirky,
                                                                                  quirky_frame):
    f = quirky_frame.set_index("order_id")
    events = quirky.outcomes
    charged = events[events["outcome"] == "chargeback"]
    charged_at = pd.Series(pd.to_datetime(charged["at"], utc=True).to_numpy(),
                           index=charged["order_id"])
    earlier = f.loc[charged_at.index].assign(charged_at=charged_at)
    reuse = f[f["pattern"] == "reused_contact"]
    assert len(reuse) > 10
    for oid, order in reuse.iterrows():
        known = earlier[earlier["charged_at"] < order["t"]]
        assert ((known["email"] == order["email"])
                | (known["phone"].notna() & (known["phone"] == order["phone"]))).any(), oid
        # otherwise a fresh identity: another name, and never the earlier account
        assert not (known["name"] == order["name"]).all(), oid
        assert not (known["account"].notna() & (known["account"] == order["account"])).any()


def test_address_burst_ships_one_account_to_several_addresses_within_an_hour(quirky_frame):
    f = quirky_frame
    burst = f[f["pattern"] == "address_burst"]
    assert len(burst) >= 20
    for _, group in burst.groupby("account"):
        if len(group) < 3:
            continue  # the last burst may be cut short by the count
        assert group["shipping"].nunique() >= 3
        assert group["t"].max() - group["t"].min() < pd.Timedelta(hours=1)
    sizes = burst.groupby("account").size()
    assert (sizes >= 3).mean() > 0.8


def test_a_shop_survives_a_round_trip_through_its_json_file(tmp_path):
    shop = ShopConfig.random(12)
    shop.write(tmp_path / "shop.json")
    assert ShopConfig.read(tmp_path / "shop.json") == shop


@pytest.mark.parametrize(("text", "reason"), [
    ('{"price_scale": "x"}', "price_scale: Input should be a valid number"),
    ('{"rates": {"stolen_cards": 0.1}}', "rates.stolen_cards: unknown setting"),
    ('{"countries": {"US": 1}}', "no address data"),
    ('{"price_scale": 2', "line 1"),
    ("[1]", "a shop is a JSON object"),
])
def test_a_bad_shop_file_is_refused_naming_the_setting_and_reason(tmp_path, text, reason):
    path = tmp_path / "shop.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="shop.json") as info:
        ShopConfig.read(path)
    assert reason in str(info.value)


def test_rates_overrides_apply_on_top_of_the_shops_rates():
    shop = ShopConfig.random(2)
    sim = simulate(300, days=5, seed=1, shop=shop, rates={"stolen_card": 0.05})
    assert sim.rates.stolen_card == 0.05
    assert sim.rates.card_testing == shop.rates.card_testing
    assert sim.shop == replace(shop, rates=sim.rates)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(simulate_command)
    return app


def test_the_command_simulates_a_random_shop_from_its_seed_and_writes_its_config(tmp_path):
    out = tmp_path / "orders.jsonl.gz"
    args = ["--orders", "400", "--days", "10", "--shop", "random", "--shop-seed", "7",
            "--out", str(out)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert ShopConfig.read(tmp_path / "shop.json") == ShopConfig.random(7)
    first = out.read_bytes()
    CliRunner().invoke(_app(), args)
    assert out.read_bytes() == first


def test_the_command_simulates_several_shops_into_files_of_their_own(tmp_path):
    out = tmp_path / "orders.jsonl.gz"
    result = CliRunner().invoke(_app(), ["--orders", "300", "--days", "10", "--shops", "2",
                                         "--shop-seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for i, seed in ((1, 3), (2, 4)):
        for name in ("orders.jsonl.gz", "outcomes.jsonl.gz", "truth.csv.gz", "shop.json"):
            assert (tmp_path / f"shop{i:02d}_{name}").exists()
        assert ShopConfig.read(tmp_path / f"shop{i:02d}_shop.json") == ShopConfig.random(seed)


def test_the_command_refuses_an_unknown_shop_with_a_message(tmp_path):
    result = CliRunner().invoke(_app(), ["--orders", "10", "--shop", "nowhere.json",
                                         "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert "nowhere.json" in result.output and "Traceback" not in result.output


def test_pooled_shops_keep_ids_unique_and_say_which_shop_each_order_is_from():
    runs = simulate_family(2, 300, days=10, seed=3)
    orders, outcomes, truth = pooled(runs)
    assert len(orders) == len(truth) == sum(len(r.sim) for r in runs)
    assert len({o["order_id"] for o in orders}) == len(orders)
    assert set(outcomes["order_id"]) <= set(truth["order_id"])
    assert set(truth["shop"]) == {"S1", "S2"}
    accounts = {o["order_id"][:2]: set() for o in orders}
    for o in orders:
        if "account_id" in o["customer"]:
            accounts[o["order_id"][:2]].add(o["customer"]["account_id"])
    assert not accounts["S1"] & accounts["S2"]
    assert pd.to_datetime([o["created_at"] for o in orders], utc=True).is_monotonic_increasing


def test_the_command_pools_several_shops_into_one_training_set(tmp_path):
    from fraud.model.dataset import load_files
    from fraud.simulate import read_truth

    result = CliRunner().invoke(_app(), ["--orders", "300", "--days", "10", "--shops", "2",
                                         "--pool", "--out", str(tmp_path / "orders.jsonl.gz")])
    assert result.exit_code == 0, result.output
    raw = load_files(tmp_path / "pooled_orders.jsonl.gz", tmp_path / "pooled_outcomes.jsonl.gz")
    truth = read_truth(tmp_path / "pooled_truth.csv.gz")
    assert len(raw.orders) == len(truth) == 600
    assert {o.order_id for o in raw.orders} == set(truth["order_id"])
    assert raw.outcomes and set(truth["shop"]) == {"S1", "S2"}


def test_the_command_refuses_pool_without_several_shops(tmp_path):
    result = CliRunner().invoke(_app(), ["--orders", "10", "--pool",
                                         "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "--shops" in result.output

"""The simulator: deterministic, schema-valid, realistic enough to be useful and
hard enough that one rule does not solve it."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from fraud.cli.simulate import simulate_command
from fraud.schema import Order
from fraud.simulate import (
    PATTERNS,
    QUIRKS,
    Rates,
    labels_as_of,
    read_orders,
    read_outcomes,
    read_truth,
    simulate,
)

SAMPLE = Path(__file__).resolve().parents[2] / "data"
OUTCOMES = {"paid", "refunded", "chargeback", "fraud_confirmed", "legit_confirmed"}


def test_the_same_seed_gives_byte_identical_files(tmp_path):
    for name in ("a", "b"):
        sim = simulate(1500, days=20, seed=5)
        folder = tmp_path / name
        folder.mkdir()
        sim.write(folder / "orders.jsonl.gz")
        sim.write_outcomes(folder / "outcomes.jsonl")
        sim.write_truth(folder / "truth.csv.gz")
    for file in ("orders.jsonl.gz", "outcomes.jsonl", "truth.csv.gz"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_the_committed_sample_is_exactly_what_its_documented_command_makes():
    # data/README.md: fraud simulate --orders 20000 --days 90 --seed 42
    sim = simulate(20_000, days=90, seed=42)
    with gzip.open(SAMPLE / "sample_orders.jsonl.gz", "rt", encoding="utf-8") as fh:
        assert fh.read() == "".join(line + "\n" for line in sim.order_lines())
    events = list(read_outcomes(SAMPLE / "sample_outcomes.jsonl.gz"))
    assert pd.DataFrame(events).equals(sim.outcomes)


def test_another_seed_gives_other_orders():
    first = next(simulate(300, days=5, seed=1).orders())
    other = next(simulate(300, days=5, seed=2).orders())
    assert first != other


def test_every_generated_order_validates_against_the_order_schema(orders):
    for order in orders:
        Order.model_validate_json(json.dumps(order))


def test_orders_come_in_time_order_with_unique_ids(orders):
    times = pd.to_datetime([o["created_at"] for o in orders], utc=True)
    assert times.is_monotonic_increasing
    assert len({o["order_id"] for o in orders}) == len(orders)


def test_accounts_are_never_created_after_their_order(orders):
    for o in orders:
        created = o["customer"].get("account_created_at")
        if created is not None:
            assert created <= o["created_at"] or pd.Timestamp(created) <= pd.Timestamp(
                o["created_at"])


def test_postal_codes_cities_and_phones_pass_the_projects_validators(orders, sim):
    from fraud import places
    from fraud.signals.phone import check_phone
    from fraud.simulate.world import forwarders

    warehouses = {(f.country, f.postal_code) for f in forwarders()}
    phones = valid_phones = 0
    for o in orders:
        for key in ("billing_address", "shipping_address"):
            a = o[key]
            assert places.postal_code_valid(a["country"], a["postal_code"]), a
            if (a["country"], a["postal_code"]) in warehouses:
                continue  # forwarders' own addresses come from the address signal's list
            assert places.postal_city_consistent(a["country"], a["postal_code"], a["city"]), a
        phone = o["customer"].get("phone")
        if phone:
            phones += 1
            valid_phones += check_phone(phone, o["billing_address"]["country"]).valid
    assert valid_phones == phones
    assert 0.6 < phones / len(orders) < 0.85  # the phone is optional, many leave it out


def test_ips_geolocate_to_the_intended_country_for_at_least_90_percent(orders, sim, ip_countries):
    truth = sim.truth()
    at_home = ((truth["pattern"] == "none")
               & ~truth["honest_quirk"].isin(["travel_abroad", "company_vpn", "cross_border"]))
    idx = np.flatnonzero(at_home.to_numpy())
    hits = sum(ip_countries[i] == orders[i]["billing_address"]["country"] for i in idx)
    assert hits / len(idx) >= 0.9
    travel = np.flatnonzero((truth["honest_quirk"] == "travel_abroad").to_numpy())
    assert all(ip_countries[i] != orders[i]["billing_address"]["country"] for i in travel)


def test_overall_fraud_rate_is_realistic(sim):
    rate = sim.truth()["is_fraud"].mean()
    assert 0.01 <= rate <= 0.03


# The default shop has the patterns and quirks it was built with; the newer ones are
# tested on a shop that has them (test_shops.py).
DEFAULT_PATTERNS = [p for p in PATTERNS if getattr(Rates(), p) > 0]
DEFAULT_QUIRKS = [q for q in QUIRKS if getattr(Rates(), q) > 0]


@pytest.mark.parametrize("pattern", DEFAULT_PATTERNS)
def test_each_fraud_pattern_appears_at_its_configured_rate(sim, pattern):
    truth = sim.truth()
    expected = getattr(sim.rates, pattern)
    measured = (truth["pattern"] == pattern).mean()
    tolerance = 4 * math.sqrt(expected * (1 - expected) / len(truth))
    assert abs(measured - expected) <= tolerance, (pattern, measured, expected)


@pytest.mark.parametrize("quirk", DEFAULT_QUIRKS)
def test_each_honest_quirk_appears_at_its_configured_rate(sim, quirk):
    truth = sim.truth()
    honest = truth[(~truth["is_fraud"]) | (truth["pattern"] == "friendly_fraud")]
    expected = getattr(sim.rates, quirk)
    measured = (honest["honest_quirk"] == quirk).mean()
    tolerance = 4 * math.sqrt(expected * (1 - expected) / len(honest)) + 0.1 * expected
    assert abs(measured - expected) <= tolerance, (quirk, measured, expected)
    assert measured > 0


def test_a_single_rule_ip_country_differs_from_billing_is_not_enough(orders, sim, ip_countries):
    truth = sim.truth()["is_fraud"].to_numpy()
    flagged = np.array([ip != o["billing_address"]["country"]
                        for ip, o in zip(ip_countries, orders, strict=True)])
    recall = (flagged & truth).sum() / truth.sum()
    assert recall < 0.6
    assert (flagged & ~truth).sum() > (flagged & truth).sum()


def test_fraud_patterns_leave_their_traces(orders, sim):
    truth = sim.truth()
    by_pattern = {p: [orders[i] for i in np.flatnonzero((truth["pattern"] == p).to_numpy())]
                  for p in PATTERNS}
    stolen = by_pattern["stolen_card"]
    assert np.mean([o["shipping_method"] == "express" for o in stolen]) > 0.3
    testing = by_pattern["card_testing"]
    assert np.median([float(o["payment"]["amount"]) for o in testing]) < 60
    ring_devices = pd.Series([o.get("device_id") for o in by_pattern["fraud_ring"]]).dropna()
    assert ring_devices.duplicated().mean() > 0.5  # accounts share devices
    fwd = by_pattern["reshipper"]
    assert all(o["shipping_address"] != o["billing_address"] for o in fwd)


def test_outcomes_come_later_than_their_orders_and_chargebacks_weeks_later(orders, sim):
    created = {o["order_id"]: pd.Timestamp(o["created_at"]) for o in orders}
    outcomes = sim.outcomes
    assert set(outcomes["outcome"]) <= OUTCOMES
    at = pd.to_datetime(outcomes["at"], utc=True)
    placed = pd.to_datetime(outcomes["order_id"].map(created), utc=True)
    assert (at > placed).all()
    delay = (at - placed)[outcomes["outcome"] == "chargeback"].dt.days
    assert delay.min() >= 30 and delay.max() <= 120
    assert at.is_monotonic_increasing


def test_labels_as_of_a_date_only_know_earlier_outcomes(sim):
    outcomes = sim.outcomes
    early = labels_as_of(outcomes, sim.start + pd.Timedelta(days=20))
    late = labels_as_of(outcomes, sim.start + pd.Timedelta(days=400))
    assert early["is_fraud"].sum() < late["is_fraud"].sum()
    assert (pd.to_datetime(early["at"], utc=True)
            <= pd.Timestamp(sim.start + pd.Timedelta(days=20))).all()


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".parquet", ".csv"])
def test_orders_read_back_the_same_from_every_format(tmp_path, suffix):
    sim = simulate(400, days=10, seed=3)
    path = tmp_path / f"orders{suffix}"
    sim.write(path)
    back = list(read_orders(path))
    assert [Order.model_validate_json(json.dumps(o)) for o in back] == [
        Order.model_validate_json(json.dumps(o)) for o in sim.orders()]


def test_outcomes_and_truth_read_back(tmp_path):
    sim = simulate(400, days=10, seed=3)
    sim.write_outcomes(tmp_path / "out.jsonl.gz")
    sim.write_truth(tmp_path / "truth.csv.gz")
    events = list(read_outcomes(tmp_path / "out.jsonl.gz"))
    assert events and set(events[0]) == {"order_id", "outcome", "at"}
    truth = read_truth(tmp_path / "truth.csv.gz")
    assert list(truth.columns) == ["order_id", "is_fraud", "pattern", "honest_quirk"]
    assert truth["is_fraud"].dtype == bool and len(truth) == 400


def test_rates_can_be_overridden_and_unknown_names_are_refused():
    sim = simulate(3000, days=10, seed=1, rates={"stolen_card": 0.05})
    assert (sim.truth()["pattern"] == "stolen_card").mean() > 0.03
    with pytest.raises(ValueError, match="unknown rate"):
        Rates.of({"stolen_cards": 0.1})
    with pytest.raises(ValueError):
        Rates(stolen_card=1.5)


def test_the_command_writes_orders_outcomes_and_truth(tmp_path):
    app = typer.Typer()
    app.command()(simulate_command)
    out = tmp_path / "orders.jsonl.gz"
    result = CliRunner().invoke(app, ["--orders", "500", "--days", "7", "--seed", "2",
                                      "--out", str(out), "--start", "2025-03-01"])
    assert result.exit_code == 0, result.output
    assert "500 orders" in result.output
    with gzip.open(out, "rt") as fh:
        first = json.loads(fh.readline())
    assert first["created_at"].startswith("2025-03-01")
    assert (tmp_path / "outcomes.jsonl.gz").exists() and (tmp_path / "truth.csv.gz").exists()


def test_the_command_refuses_an_unknown_format(tmp_path):
    app = typer.Typer()
    app.command()(simulate_command)
    result = CliRunner().invoke(app, ["--orders", "10", "--out", str(tmp_path / "o.x"),
                                      "--format", "xml"])
    assert result.exit_code == 2


def test_the_fast_json_lines_are_exactly_the_orders(sim, orders):
    lines = list(sim.order_lines())
    assert len(lines) == len(orders)
    assert all(json.loads(line) == order for line, order in zip(lines, orders, strict=True))

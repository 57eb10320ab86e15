"""One simulated sample shared by the simulator tests (generating it takes seconds)."""

from __future__ import annotations

import pandas as pd
import pytest

from fraud.simulate import ShopConfig, Simulation, simulate


@pytest.fixture(scope="session")
def sim() -> Simulation:
    return simulate(20_000, days=60, seed=11)


@pytest.fixture(scope="session")
def orders(sim: Simulation) -> list[dict]:
    return list(sim.orders())


@pytest.fixture(scope="session")
def ip_countries(orders: list[dict]) -> list[str | None]:
    """Country of each order's IP according to the bundled GeoLite2 database."""
    import maxminddb

    from fraud.geo import bundled_city_db_path

    with maxminddb.open_database(str(bundled_city_db_path())) as reader:
        out = []
        for order in orders:
            record = reader.get(order["ip_address"]) or {}
            out.append((record.get("country") or {}).get("iso_code"))
    return out


# Rates of the newer quirks and fraud shapes, set high enough to count them in 20,000 orders.
QUIRKY_RATES = {"carrier_nat": 0.05, "office_network": 0.02, "household_device": 0.03,
                "shared_pickup_point": 0.04, "victim_reorder": 0.006, "reused_contact": 0.002,
                "address_burst": 0.002, "stolen_card": 0.006, "account_takeover": 0.003}


@pytest.fixture(scope="session")
def quirky() -> Simulation:
    """A random shop of the family with every newer quirk and fraud shape in its traffic."""
    return simulate(20_000, days=90, seed=21, shop=ShopConfig.random(5), rates=QUIRKY_RATES)


@pytest.fixture(scope="session")
def quirky_frame(quirky: Simulation) -> pd.DataFrame:
    """One row per order (time order) with the keys the tests link by, and its truth."""
    rows = []
    for o in quirky.orders():
        c, b, s = o["customer"], o["billing_address"], o["shipping_address"]
        p = o["payment"]
        rows.append({
            "order_id": o["order_id"], "t": pd.Timestamp(o["created_at"]),
            "who": c.get("account_id") or c["email"], "account": c.get("account_id"),
            "email": c["email"], "phone": c.get("phone"), "name": c["name"],
            "billing": (b["street"], b["house_number"], b["postal_code"], b["country"]),
            "shipping": (s["street"], s["house_number"], s["postal_code"], s["country"]),
            "ip": o["ip_address"], "device": o.get("device_id"),
            "card": (p["card_bin"], p["card_last4"]) if "card_bin" in p else None,
        })
    frame = pd.DataFrame(rows)
    truth = quirky.truth()
    assert (truth["order_id"].to_numpy() == frame["order_id"].to_numpy()).all()
    return frame.assign(pattern=truth["pattern"].to_numpy(),
                        quirk=truth["honest_quirk"].to_numpy(),
                        is_fraud=truth["is_fraud"].to_numpy())

"""One simulated sample shared by the simulator tests (generating it takes seconds)."""

from __future__ import annotations

import pytest

from fraud.simulate import Simulation, simulate


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

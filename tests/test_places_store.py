"""The compact postal file (fraud/places_store.py) answers exactly what the in-memory
tables computed from the packages' JSON answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from fraud import places, places_store
from fraud.places import compute_city_names, compute_country

COUNTRIES = ("NL", "BE", "LU", "XX")  # XX: no postal data at all, a centroid-less country


@pytest.fixture
def fresh_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FRAUD_PLACES_CACHE_DIR", str(tmp_path))
    places_store.store_path.cache_clear()
    places._country.cache_clear()
    places._city_names.cache_clear()
    yield tmp_path
    places_store.store_path.cache_clear()
    places._country.cache_clear()
    places._city_names.cache_clear()


@pytest.mark.parametrize("country", COUNTRIES)
def test_the_file_holds_exactly_the_computed_tables(fresh_file: Path, country: str) -> None:
    computed = compute_country(country)
    names = compute_city_names(country)
    read = places._country(country)

    assert places_store.store_path().parent == fresh_file
    assert read.centroid == computed.centroid
    assert read.regions == computed.regions
    for key, locs in computed.localities.items():
        assert read.localities[key] == locs
        assert read.points.get(key) == computed.points.get(key)
    for name, keys in computed.codes_by_name.items():
        assert read.codes_by_name[name] == keys
    for name, cities in names.items():
        assert places._city_names(country)[name] == cities
    assert "no such postal code" not in read.localities
    assert read.codes_by_name.get("no such town", ()) == ()


def test_a_built_country_is_read_from_the_file_not_computed_again(
    fresh_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    places._country("LU")
    places._country.cache_clear()

    def no_build(country: str) -> None:
        raise AssertionError(f"{country} built twice")

    monkeypatch.setattr(places, "compute_country", no_build)
    assert places.localities("LU", "1110")  # Luxembourg's codes, from the file

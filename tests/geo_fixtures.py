"""Tiny GeoIP2-shaped ``.mmdb`` files for tests, so they do not depend on the age
of the bundled GeoLite2 database.

    from geo_fixtures import build_test_mmdb, TEST_NETWORKS
    path = build_test_mmdb(tmp_path / "city.mmdb")
    locator = GeoLocator.open(path)

Networks are real operators' ranges, but the coordinates are fixed here, so
distances in tests are stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet


@dataclass(frozen=True)
class TestNetwork:
    """One network in the test database and the IP the tests use from it."""

    __test__ = False  # not a pytest test class

    network: str
    sample_ip: str
    country: str
    country_name: str
    city: str | None
    lat: float
    lon: float
    accuracy_km: int
    asn: int
    asn_org: str
    hosting: bool = False
    anonymous: bool = False


TEST_NETWORKS: dict[str, TestNetwork] = {
    # KPN consumer broadband, Utrecht
    "nl": TestNetwork(
        "77.160.0.0/16",
        "77.160.34.12",
        "NL",
        "Netherlands",
        "Utrecht",
        52.0908,
        5.1222,
        20,
        1136,
        "KPN B.V.",
    ),
    # Deutsche Telekom, Berlin
    "de": TestNetwork(
        "87.128.0.0/16",
        "87.128.200.7",
        "DE",
        "Germany",
        "Berlin",
        52.5244,
        13.4105,
        50,
        3320,
        "Deutsche Telekom AG",
    ),
    # Telenet, Antwerp
    "be": TestNetwork(
        "81.82.0.0/16",
        "81.82.19.240",
        "BE",
        "Belgium",
        "Antwerpen",
        51.2211,
        4.3997,
        10,
        6848,
        "Telenet BV",
    ),
    # RCS & RDS, Bucharest: a classic "card from NL, IP from elsewhere" case
    "ro": TestNetwork(
        "86.120.0.0/16",
        "86.120.5.9",
        "RO",
        "Romania",
        "Bucharest",
        44.4323,
        26.1063,
        100,
        8708,
        "RCS & RDS SA",
    ),
    # Orange (IPv6), Paris
    "fr6": TestNetwork(
        "2a01:cb00::/32",
        "2a01:cb00:84a:1200::15",
        "FR",
        "France",
        "Paris",
        48.8534,
        2.3488,
        20,
        3215,
        "Orange",
    ),
    # Hetzner data centre, Falkenstein: hosting, anonymiser
    "hosting": TestNetwork(
        "88.198.0.0/16",
        "88.198.41.3",
        "DE",
        "Germany",
        None,
        51.2993,
        9.491,
        1000,
        24940,
        "Hetzner Online GmbH",
        hosting=True,
        anonymous=True,
    ),
}

# A public address that is in none of the test networks.
UNLISTED_IP = "193.0.6.139"


def _city_record(net: TestNetwork) -> dict[str, object]:
    record: dict[str, object] = {
        "country": {"iso_code": net.country, "names": {"en": net.country_name}},
        "registered_country": {"iso_code": net.country, "names": {"en": net.country_name}},
        "location": {
            "latitude": float(net.lat),
            "longitude": float(net.lon),
            "accuracy_radius": net.accuracy_km,
        },
    }
    if net.city:
        record["city"] = {"names": {"en": net.city}}
    return record


def _writer(db_type: str) -> MMDBWriter:
    return MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type=db_type,
        languages=["en"],
        description="test",
    )


def build_test_mmdb(path: Path | str) -> Path:
    """Write a GeoIP2-City-shaped database with TEST_NETWORKS to ``path``."""
    writer = _writer("GeoIP2-City")
    for net in TEST_NETWORKS.values():
        writer.insert_network(IPSet([net.network]), _city_record(net))
    writer.to_db_file(str(path))
    return Path(path)


def build_test_asn_mmdb(path: Path | str) -> Path:
    """Write a GeoLite2-ASN-shaped database with TEST_NETWORKS to ``path``."""
    writer = _writer("GeoLite2-ASN")
    for net in TEST_NETWORKS.values():
        writer.insert_network(
            IPSet([net.network]),
            {"autonomous_system_number": net.asn, "autonomous_system_organization": net.asn_org},
        )
    writer.to_db_file(str(path))
    return Path(path)


def build_test_anonymous_mmdb(path: Path | str) -> Path:
    """Write a GeoIP2-Anonymous-IP-shaped database listing the anonymiser networks."""
    writer = _writer("GeoIP2-Anonymous-IP")
    for net in TEST_NETWORKS.values():
        if net.anonymous or net.hosting:
            writer.insert_network(
                IPSet([net.network]),
                {
                    "is_anonymous": net.anonymous,
                    "is_anonymous_vpn": net.anonymous,
                    "is_hosting_provider": net.hosting,
                },
            )
    writer.to_db_file(str(path))
    return Path(path)

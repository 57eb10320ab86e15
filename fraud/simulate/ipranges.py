"""IP networks by country (and region), taken from the bundled GeoLite2-City database.

Walking the whole database takes over a minute, so a small sample of its
networks is kept in ``ip_networks.csv.gz`` next to this module (rebuild with
``python -m fraud.simulate.ipranges``). Every address drawn from a network
geolocates exactly as the network does, so the geo signal sees in simulated
traffic what it would see in production.
"""

from __future__ import annotations

import gzip
import ipaddress
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

TABLE_PATH = Path(__file__).with_name("ip_networks.csv.gz")

HOME_COUNTRIES = ("NL", "BE", "DE", "FR")
# Customers elsewhere in the EU, holiday destinations, VPN exits and the
# countries stolen-card traffic tends to come from.
OTHER_COUNTRIES = (
    "AT", "LU", "ES", "IT", "PL", "DK", "HR", "PT", "GR", "CH", "GB", "IE", "SE", "TR",
    "US", "RO", "BG", "UA", "RU", "NG", "VN", "BR", "LT", "MA", "IN", "ID", "CN",
)
# Networks kept per (country, region, IP version); France has ~96 departments.
_KEEP_PER_REGION = {"NL": 150, "BE": 120, "DE": 150, "FR": 40}
_KEEP_OTHER = 300
_KEEP_COARSE = 60
_V6_SHARE = 5  # keep one IPv6 network for every five IPv4 ones


@dataclass(frozen=True)
class NetworkTable:
    """Networks as arrays: first address (as int), size, version, country, region, coarse."""

    start: np.ndarray  # object array of Python ints (IPv6 does not fit in 64 bits)
    size: np.ndarray  # object array of Python ints
    version: np.ndarray
    country: np.ndarray
    region: np.ndarray
    coarse: np.ndarray

    def indices(self, country: str, *, region: str | None = None, coarse: bool | None = None,
                version: int | None = None) -> np.ndarray:
        """Row numbers of networks matching the filters (empty when none do)."""
        mask = self.country == country
        if region is not None:
            mask &= self.region == region
        if coarse is not None:
            mask &= self.coarse == coarse
        if version is not None:
            mask &= self.version == version
        return np.flatnonzero(mask)


def region_of(country: str, subdivisions: list[str]) -> str:
    """The region key that matches the postal data's ``stateCode`` for this country."""
    if not subdivisions:
        return ""
    # France and Belgium: the postal data names the department / province,
    # which GeoLite2 lists second (after the region).
    if country in ("FR", "BE") and len(subdivisions) > 1:
        return subdivisions[1]
    return subdivisions[0]


def build_table(mmdb_path: Path | None = None, out: Path = TABLE_PATH, seed: int = 0) -> Path:
    """Walk the GeoLite2-City database once and write a reservoir sample of networks."""
    import maxminddb

    from fraud.geo import bundled_city_db_path

    path = mmdb_path or bundled_city_db_path()
    if path is None:
        raise FileNotFoundError("no GeoLite2-City database found")
    rng = random.Random(seed)  # noqa: S311 - sampling, not secrets
    wanted = set(HOME_COUNTRIES) | set(OTHER_COUNTRIES)
    reservoirs: dict[tuple, list] = {}
    seen: dict[tuple, int] = {}
    with maxminddb.open_database(str(path)) as reader:
        for network, record in reader:
            country = ((record or {}).get("country") or {}).get("iso_code")
            if country not in wanted:
                continue
            location = record.get("location") or {}
            coarse = "city" not in record or location.get("accuracy_radius", 1000) >= 200
            subs = [s.get("iso_code", "") for s in record.get("subdivisions", [])]
            region = "" if coarse or country not in HOME_COUNTRIES else region_of(country, subs)
            key = (country, region, network.version, coarse)
            keep = _KEEP_COARSE if coarse else _KEEP_PER_REGION.get(country, _KEEP_OTHER)
            if network.version == 6:
                keep = max(1, keep // _V6_SHARE)
            row = (country, region, int(coarse), network.version, str(network))
            _reservoir_add(reservoirs.setdefault(key, []), seen, key, row, keep, rng)
    rows = [row for key in sorted(reservoirs) for row in sorted(reservoirs[key])]
    frame = pd.DataFrame(rows, columns=["country", "region", "coarse", "version", "network"])
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as fh:
        frame.to_csv(fh, index=False)
    return out


def _reservoir_add(bucket: list, seen: dict, key: tuple, row: tuple, keep: int,
                   rng: random.Random) -> None:
    """Classic reservoir sampling: every network of a key is equally likely to be kept."""
    seen[key] = seen.get(key, 0) + 1
    if len(bucket) < keep:
        bucket.append(row)
        return
    slot = rng.randrange(seen[key])
    if slot < keep:
        bucket[slot] = row


@lru_cache(maxsize=1)
def load_table(path: Path = TABLE_PATH) -> NetworkTable:
    """The cached network sample as arrays."""
    frame = pd.read_csv(path, dtype={"region": str}, keep_default_na=False)
    nets = [ipaddress.ip_network(n) for n in frame["network"]]
    return NetworkTable(
        start=np.array([int(n.network_address) for n in nets], dtype=object),
        size=np.array([n.num_addresses for n in nets], dtype=object),
        version=frame["version"].to_numpy(),
        country=frame["country"].to_numpy(dtype=str),
        region=frame["region"].to_numpy(dtype=str),
        coarse=frame["coarse"].to_numpy().astype(bool),
    )


def addresses_in(table: NetworkTable, rows: np.ndarray, rng: np.random.Generator) -> list[str]:
    """One random host address in each of the given networks, as text."""
    fractions = rng.random(len(rows))
    out = []
    for row, fraction in zip(rows.tolist(), fractions.tolist(), strict=True):
        size = table.size[row]
        if table.version[row] == 4:
            # skip the network and broadcast addresses of small blocks
            x = table.start[row] + (1 + int(fraction * (size - 2)) if size > 2 else 0)
            out.append(f"{x >> 24}.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}")
        else:
            offset = int(fraction * min(size, 1 << 64)) | 1
            out.append(ipaddress.IPv6Address(table.start[row] + offset).compressed)
    return out


if __name__ == "__main__":
    print(build_table())

"""Vectorised draws shared by honest traffic and fraud: addresses, people, IP
addresses, cards and times, each for an array of countries at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from fraud.simulate import names, world
from fraud.simulate.catalogue import Catalogue
from fraud.simulate.ipranges import NetworkTable, addresses_in
from fraud.simulate.population import Population, emails, hex_ids, house_numbers
from fraud.simulate.shop import ShopConfig

# Shop traffic by local hour (0-23) and weekday (Monday first): lunch and evening
# peaks, Sunday evening the busiest (people plan the weekend's repair).
HOUR_WEIGHTS = np.array([0.15, 0.08, 0.05, 0.04, 0.05, 0.12, 0.35, 0.7, 1.0, 1.15, 1.2, 1.25,
                         1.3, 1.2, 1.15, 1.1, 1.05, 1.1, 1.3, 1.6, 1.8, 1.65, 1.1, 0.5])
WEEKDAY_WEIGHTS = np.array([1.10, 1.0, 0.98, 0.97, 0.90, 0.80, 1.15])
THREE_DS = np.array(["authenticated", "attempted", "failed", "not_enrolled", "exempt"],
                    dtype=object)
HONEST_3DS = np.array([0.88, 0.03, 0.01, 0.02, 0.06])
FRAUD_3DS = np.array([0.30, 0.22, 0.08, 0.22, 0.18])


@dataclass
class Run:
    """Everything one simulation run draws from, plus its counters."""

    rng: np.random.Generator
    pop: Population
    nets: NetworkTable
    cat: Catalogue
    start: int  # epoch seconds of local midnight on the first day
    start_weekday: int
    days: int
    next_account: int = 0
    home_ip: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    shop: ShopConfig = field(default_factory=ShopConfig)
    # (customer, fraud time, card used) of stolen-card and takeover victims, for the
    # honest orders they place afterwards
    victims: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + self.days * 86_400

    def new_account_ids(self, k: int) -> np.ndarray:
        """Fresh account ids that no population customer has."""
        ids = np.arange(self.next_account, self.next_account + k)
        self.next_account += k
        return np.array([f"C-{i}" for i in ids], dtype=object)

    def new_device_ids(self, k: int) -> np.ndarray:
        return hex_ids(self.rng, k, "D")


def times(run: Run, n: int, night: float = 0.0) -> np.ndarray:
    """Order times following the shop's weekly and daily rhythm; ``night`` flattens the hours."""
    rng = run.rng
    day_w = WEEKDAY_WEIGHTS[(run.start_weekday + np.arange(run.days)) % 7]
    day = rng.choice(run.days, n, p=day_w / day_w.sum())
    hour_w = (1 - night) * HOUR_WEIGHTS / HOUR_WEIGHTS.sum() + night / 24
    hour = rng.choice(24, n, p=hour_w / hour_w.sum())
    return run.start + day * 86_400 + hour * 3600 + rng.integers(0, 3600, n)


def pick(rng: np.random.Generator, table: Mapping[str, float], n: int) -> np.ndarray:
    keys, p = world.weighted(table)
    return keys[rng.choice(len(keys), n, p=p)]


def addresses(rng: np.random.Generator, countries: np.ndarray,
              regions: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Real postal codes and localities (optionally within a region), street and number."""
    n = len(countries)
    out = {k: np.empty(n, dtype=object) for k in ("street", "house", "postal", "city")}
    for c in np.unique(countries.astype(str)):
        idx = np.flatnonzero(countries == c)
        table = world.postal_table(c)
        pick_rows = rng.integers(0, len(table.code), len(idx))
        if regions is not None:
            for region in np.unique(regions[idx].astype(str)):
                same = table.by_region.get(region)
                mine = np.flatnonzero(regions[idx] == region)
                if region and same is not None and len(same):
                    pick_rows[mine] = same[rng.integers(0, len(same), len(mine))]
        code = table.code[pick_rows]
        out["postal"][idx] = code + world.nl_suffixes(rng, len(idx)) if c == "NL" else code
        out["city"][idx] = table.city[pick_rows]
        streets = np.array(names.STREETS[c], dtype=object)
        out["street"][idx] = streets[rng.integers(0, len(streets), len(idx))]
        out["house"][idx] = house_numbers(rng, len(idx), c)
    return out


def people(rng: np.random.Generator, countries: np.ndarray) -> dict[str, np.ndarray]:
    """Names and name-based e-mail addresses of people who are not (yet) customers."""
    n = len(countries)
    out = {k: np.empty(n, dtype=object) for k in ("first", "last", "name", "email")}
    for c in np.unique(countries.astype(str)):
        idx = np.flatnonzero(countries == c)
        pool = c if c in names.FIRST_NAMES else "NL"
        firsts = np.array(names.FIRST_NAMES[pool], dtype=object)
        lasts = np.array(names.LAST_NAMES[pool], dtype=object)
        first = firsts[rng.integers(0, len(firsts), len(idx))]
        last = lasts[rng.integers(0, len(lasts), len(idx))]
        out["first"][idx], out["last"][idx] = first, last
        out["name"][idx] = first + " " + last
        out["email"][idx] = emails(rng, first, last, pool)
    return out


def ips(run: Run, countries: np.ndarray, regions: np.ndarray | None = None,
        coarse: bool = False) -> np.ndarray:
    """An address in a network the geo database places in each country (and region)."""
    rng, nets = run.rng, run.nets
    rows = np.zeros(len(countries), dtype=np.int64)
    keys = countries.astype(str) if regions is None else np.char.add(
        np.char.add(countries.astype(str), "|"), regions.astype(str))
    for key in np.unique(keys):
        idx = np.flatnonzero(keys == key)
        country, _, region = key.partition("|")
        candidates = nets.indices(country, region=region or None, coarse=coarse)
        if not len(candidates):
            candidates = nets.indices(country, coarse=False)
        if not len(candidates):
            candidates = nets.indices("NL", coarse=False)
        rows[idx] = candidates[rng.integers(0, len(candidates), len(idx))]
    return np.array(addresses_in(nets, rows, rng), dtype=object)


def cards(rng: np.random.Generator, countries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(BIN, last four digits) of cards issued in each country."""
    bins = world.card_bins()
    out = np.empty(len(countries), dtype=object)
    for c in np.unique(countries.astype(str)):
        idx = np.flatnonzero(countries == c)
        pool = bins.get(c, bins["US"])
        out[idx] = pool[rng.integers(0, len(pool), len(idx))]
    last4 = np.array([f"{x:04d}" for x in rng.integers(0, 10_000, len(countries))], dtype=object)
    return out, last4


def three_ds(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    return THREE_DS[rng.choice(len(THREE_DS), n, p=p / p.sum())]


def user_agents(rng: np.random.Generator, n: int, automation: float = 0.0,
                mobile: float = 0.45) -> np.ndarray:
    """Browser strings; a share ``automation`` from headless browsers and scripts."""
    desktop = np.array(world.USER_AGENTS_DESKTOP, dtype=object)
    phones = np.array(world.USER_AGENTS_MOBILE, dtype=object)
    bots = np.array(world.USER_AGENTS_AUTOMATION, dtype=object)
    u = rng.random(n)
    out = np.where(u < mobile, phones[rng.integers(0, len(phones), n)],
                   desktop[rng.integers(0, len(desktop), n)])
    return np.where(rng.random(n) < automation, bots[rng.integers(0, len(bots), n)], out)


def basket(run: Run, rows: np.ndarray, mix: Mapping[str, float], mean_extra: float = 0.6
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Basket lines for the given order rows: (row, SKU index, quantity)."""
    counts = 1 + np.minimum(run.rng.poisson(mean_extra, len(rows)), 9)
    return run.cat.basket(run.rng, np.repeat(rows, counts), run.cat.mix(mix))


def big_ticket(run: Run, rows: np.ndarray, min_cents: int = 50_000
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One expensive line per row (an engine, a turbo, an ECU...)."""
    skus = np.flatnonzero(run.cat.price_cents >= min_cents)
    return rows, skus[run.rng.integers(0, len(skus), len(rows))], np.ones(len(rows), dtype=np.int64)

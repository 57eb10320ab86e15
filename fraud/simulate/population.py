"""The shop's customers: who they are, where they live, how they pay and from
which devices and networks they order. Drawn as arrays, one entry per customer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from fraud.simulate import names, world
from fraud.simulate.ipranges import NetworkTable
from fraud.simulate.table import NONE

PAYMENT_MIX = {
    "NL": {"ideal": 55, "card": 10, "paypal": 15, "klarna": 10, "apple_pay": 7, "bank_transfer": 3},
    "BE": {"bancontact": 45, "card": 20, "paypal": 14, "klarna": 5, "apple_pay": 8,
           "bank_transfer": 8},
    "DE": {"paypal": 35, "card": 18, "klarna": 25, "bank_transfer": 12, "apple_pay": 6,
           "google_pay": 4},
    "FR": {"card": 58, "paypal": 22, "apple_pay": 9, "google_pay": 5, "klarna": 3,
           "bank_transfer": 3},
    "*": {"card": 55, "paypal": 30, "klarna": 5, "bank_transfer": 5, "apple_pay": 5},
}
_EMAIL_STYLES = np.array([30, 15, 10, 15, 10, 5, 5, 10], dtype=float)


@lru_cache(maxsize=4096)
def ascii_word(text: str) -> str:
    """'Müller' -> 'muller', 'van den Berg' -> 'vandenberg': names as they appear in e-mails."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("ł", "l")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c)).lower()


@dataclass
class Population:
    """Customer attributes as parallel arrays (object arrays hold text)."""

    country: np.ndarray
    region: np.ndarray
    border: np.ndarray
    postal_code: np.ndarray
    city: np.ndarray
    street: np.ndarray
    house_number: np.ndarray
    first: np.ndarray
    last: np.ndarray
    name: np.ndarray
    email: np.ndarray
    phone: np.ndarray
    account_id: np.ndarray
    account_created: np.ndarray  # epoch seconds, filled in once the orders are known
    n_devices: np.ndarray
    device_id: np.ndarray  # (customers, 3)
    device_mobile: np.ndarray  # (customers, 3)
    device_ua: np.ndarray  # (customers, 3)
    payment: np.ndarray
    card_bin: np.ndarray
    card_last4: np.ndarray
    home_network: np.ndarray  # row in the network table
    activity: np.ndarray  # relative order rate
    household_head: np.ndarray | None = None  # housemate whose computer one shares, or -1

    def __len__(self) -> int:
        return len(self.country)


def make_population(rng: np.random.Generator, n: int, nets: NetworkTable,
                    countries_mix: dict[str, float] | None = None,
                    payment_mix: dict[str, dict[str, float]] | None = None,
                    account_share: float = 0.78) -> Population:
    """``n`` customers in the shop's countries with consistent personal details."""
    countries, p = world.weighted(countries_mix or world.CUSTOMER_COUNTRIES)
    country = countries[rng.choice(len(countries), n, p=p)]
    cols = {k: np.empty(n, dtype=object) for k in (
        "region", "postal_code", "city", "street", "house_number", "first", "last", "email",
        "phone", "payment", "card_bin")}
    home_network = np.zeros(n, dtype=np.int64)
    for c in countries:
        idx = np.flatnonzero(country == c)
        if len(idx):
            _fill_country(rng, c, idx, cols, home_network, nets, payment_mix or PAYMENT_MIX)
    name = cols["first"] + " " + cols["last"]
    # a few people type their name all lower or upper case
    case = rng.random(n)
    name[case < 0.02] = [x.lower() for x in name[case < 0.02]]
    name[case > 0.99] = [x.upper() for x in name[case > 0.99]]
    border = np.zeros(n, dtype=bool)
    for c, regions in world.BORDER_REGIONS.items():
        in_region = np.zeros(n, dtype=bool)
        for r in regions:
            in_region |= cols["region"] == r
        border |= (country == c) & in_region
    has_account = rng.random(n) < account_share
    ids = rng.permutation(n) + 100_000
    account_id = np.where(has_account, np.array([f"C-{i}" for i in ids], dtype=object), NONE)
    n_devices = rng.choice([1, 2, 3], n, p=[0.55, 0.35, 0.10])
    device_id = hex_ids(rng, n * 3, "D").reshape(n, 3)
    device_mobile = rng.random((n, 3)) < 0.55
    ua_desktop = np.array(world.USER_AGENTS_DESKTOP, dtype=object)
    ua_mobile = np.array(world.USER_AGENTS_MOBILE, dtype=object)
    device_ua = np.where(device_mobile,
                         ua_mobile[rng.integers(0, len(ua_mobile), (n, 3))],
                         ua_desktop[rng.integers(0, len(ua_desktop), (n, 3))])
    last4 = np.array([f"{x:04d}" for x in rng.integers(0, 10_000, n)], dtype=object)
    return Population(
        country=country, region=cols["region"], border=border, postal_code=cols["postal_code"],
        city=cols["city"], street=cols["street"], house_number=cols["house_number"],
        first=cols["first"], last=cols["last"], name=name, email=cols["email"],
        phone=cols["phone"], account_id=account_id, account_created=np.zeros(n, dtype=np.int64),
        n_devices=n_devices, device_id=device_id, device_mobile=device_mobile,
        device_ua=device_ua, payment=cols["payment"], card_bin=cols["card_bin"],
        card_last4=last4, home_network=home_network, activity=rng.gamma(0.5, 2.0, n),
    )


def _fill_country(rng: np.random.Generator, c: str, idx: np.ndarray, cols: dict,
                  home_network: np.ndarray, nets: NetworkTable,
                  payment_mix: Mapping[str, Mapping[str, float]]) -> None:
    """Addresses, names, contact details and payment habits for the customers of one country."""
    k = len(idx)
    table = world.postal_table(c)
    pick = rng.integers(0, len(table.code), k)
    code = table.code[pick]
    cols["postal_code"][idx] = code + world.nl_suffixes(rng, k) if c == "NL" else code
    cols["city"][idx] = table.city[pick]
    cols["region"][idx] = table.region[pick]
    streets = np.array(names.STREETS[c], dtype=object)
    cols["street"][idx] = streets[rng.integers(0, len(streets), k)]
    cols["house_number"][idx] = house_numbers(rng, k, c)
    firsts = np.array(names.FIRST_NAMES[c], dtype=object)
    lasts = np.array(names.LAST_NAMES[c], dtype=object)
    first = firsts[rng.integers(0, len(firsts), k)]
    last = lasts[rng.integers(0, len(lasts), k)]
    cols["first"][idx], cols["last"][idx] = first, last
    cols["email"][idx] = emails(rng, first, last, c)
    cols["phone"][idx] = phones(rng, k, c)
    mix = payment_mix.get(c, payment_mix["*"])
    methods, p = world.weighted(mix)
    cols["payment"][idx] = methods[rng.choice(len(methods), k, p=p)]
    bins = world.card_bins()[c]
    cols["card_bin"][idx] = bins[rng.integers(0, len(bins), k)]
    home_network[idx] = home_networks(rng, nets, c, cols["region"][idx])


def house_numbers(rng: np.random.Generator, k: int, country: str) -> np.ndarray:
    """Mostly small numbers, some with an addition ('12A', '3 bis', '7-2')."""
    numbers = (1 + rng.geometric(0.025, k)).astype(str).astype(object)
    addition = rng.random(k)
    extra = {"FR": " bis", "BE": " bus 2", "DE": "a", "NL": "-2"}.get(country, "A")
    numbers = np.where(addition < 0.05, numbers + "A", numbers)
    return np.where(addition > 0.97, numbers + extra, numbers)


def emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray,
           country: str) -> np.ndarray:
    """Addresses the way people pick them: mostly name-based, on the country's free-mail domains."""
    k = len(first)
    style = rng.choice(len(_EMAIL_STYLES), k, p=_EMAIL_STYLES / _EMAIL_STYLES.sum())
    digits = rng.integers(1, 100, k).tolist()
    years = rng.integers(1955, 2006, k).tolist()
    local = np.array([
        _local_part(s, ascii_word(a), ascii_word(b), d, y)
        for s, a, b, d, y in zip(style.tolist(), first.tolist(), last.tolist(), digits, years,
                                 strict=True)], dtype=object)
    domains, p = world.weighted(dict(names.EMAIL_DOMAINS.get(country, names.EMAIL_DOMAINS["*"])))
    domain = domains[rng.choice(len(domains), k, p=p)]
    # about one in ten uses a family or small-business domain of their own
    tld = {"NL": ".nl", "BE": ".be", "DE": ".de", "FR": ".fr"}.get(country, ".eu")
    own = rng.random(k) < 0.10
    words = np.array(names.BUSINESS_WORDS.get(country, ("mail",)), dtype=object)
    surname = np.array([ascii_word(x) for x in last.tolist()], dtype=object)
    own_domain = np.where(rng.random(k) < 0.5, surname + tld,
                          words[rng.integers(0, len(words), k)] + "-" + surname + tld)
    f = np.array([ascii_word(x) for x in first.tolist()], dtype=object)
    own_local = np.where(rng.random(k) < 0.5, f, "info")
    return np.where(own, own_local + "@" + own_domain, local + "@" + domain)


def _local_part(style: int, f: str, s: str, digits: int, year: int) -> str:
    """The part before the @, in one of the common styles."""
    if style == 0:
        return f"{f}.{s}"
    if style == 1:
        return f + s
    if style == 2:
        return f"{f[:1]}.{s}"
    if style == 3:
        return f"{f}{digits}"
    if style == 4:
        return f"{f}.{s}{year}"
    if style == 5:
        return f"{s}.{f}"
    if style == 6:
        return f"{f}_{s}"
    return f"{f}{s[:3]}{digits}"


def hex_ids(rng: np.random.Generator, n: int, prefix: str) -> np.ndarray:
    """``n`` random ids such as 'D3f9a0c1b2e4d5f60' (prefix and 16 hex digits)."""
    text = rng.bytes(8 * n).hex()
    return np.array([prefix + text[i:i + 16] for i in range(0, 16 * n, 16)], dtype=object)


def phones(rng: np.random.Generator, k: int, country: str) -> np.ndarray:
    """Valid numbers for the country, typed in the usual ways; about a quarter give none."""
    numbers = world.phone_numbers(rng, np.full(k, country, dtype=object),
                                  mobile=rng.random(k) < 0.85)
    style = rng.random(k)
    national = style < 0.35
    numbers[national] = [world.national_format(x, country) for x in numbers[national]]
    calling = world.COUNTRY_CALLING.get(country, "")
    spaced = (style >= 0.35) & (style < 0.45)
    if calling:
        numbers[spaced] = [f"{calling} {x[len(calling):]}" for x in numbers[spaced]]
    return np.where(rng.random(k) < 0.74, numbers, NONE)


def home_networks(rng: np.random.Generator, nets: NetworkTable, country: str,
                  regions: np.ndarray) -> np.ndarray:
    """Each customer's broadband network: in their own region where the data allows."""
    everywhere = nets.indices(country, coarse=False)
    if not len(everywhere):
        everywhere = nets.indices("NL", coarse=False)
    out = everywhere[rng.integers(0, len(everywhere), len(regions))]
    local = rng.random(len(regions)) < 0.85
    for region in np.unique(regions[local].astype(str)):
        rows = nets.indices(country, region=region, coarse=False) if region else np.array([])
        if not len(rows):
            continue
        who = np.flatnonzero(local & (regions == region))
        out[who] = rows[rng.integers(0, len(rows), len(who))]
    return out

"""Honest customers who share a key with many others, or with an earlier fraud.

A fraud check that links orders by IP, device or address meets these every
day: a mobile carrier puts thousands of phones behind one address (carrier-grade
NAT), colleagues order from one office network, a household shares its
computer, a busy parcel shop receives parcels for a whole town, and the victim
of a stolen card or a taken-over account keeps ordering after the fraud, with
the very name, address, account and card the fraudster used.

Every function here draws random numbers only when its quirk has orders, so a
shop without these quirks gets exactly the traffic it got before they existed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fraud.simulate import draw, names
from fraud.simulate.draw import Run

_DAY = 86_400


# --- households --------------------------------------------------------------------------------


def make_households(run: Run, n_orders: int, eligible: np.ndarray) -> np.ndarray:
    """Pair some customers with a housemate: same address and home network, one shared
    computer. Returns the members (their ``pop.household_head`` is the housemate whose
    first device they share); an order of a member on that device is ``household_device``."""
    rng, pop = run.rng, run.pop
    head = np.full(len(pop), -1, dtype=np.int64)
    pop.household_head = head
    if n_orders <= 0 or len(eligible) < 4:
        return np.array([], dtype=np.int64)
    # a member orders on the shared computer a few times over the run
    k = int(min(len(eligible) // 2, max(1, n_orders // 3)))
    w = pop.activity[eligible] + 0.05
    chosen = rng.choice(eligible, 2 * k, replace=False, p=w / w.sum())
    members, heads = chosen[:k], chosen[k:]
    same = pop.country[members] == pop.country[heads]
    members, heads = members[same], heads[same]
    head[members] = heads
    for attr in ("street", "house_number", "postal_code", "city", "region", "home_network"):
        getattr(pop, attr)[members] = getattr(pop, attr)[heads]
    pop.border[members] = pop.border[heads]
    return members


def assign_household_orders(run: Run, cust: np.ndarray, quirk: np.ndarray,
                            members: np.ndarray) -> None:
    """Household-device orders are placed on the shared computer by either housemate."""
    idx = np.flatnonzero(quirk == "household_device")
    if not len(idx):
        return
    if not len(members):
        quirk[idx] = "none"
        return
    w = run.pop.activity[members] + 0.05
    who = members[run.rng.choice(len(members), len(idx), p=w / w.sum())]
    head = run.pop.household_head[who]
    cust[idx] = np.where(run.rng.random(len(idx)) < 0.5, who, head)


def share_household_ips(run: Run) -> None:
    """Housemates share their home connection (the housemate's address wins)."""
    head = getattr(run.pop, "household_head", None)
    if head is None:
        return
    members = np.flatnonzero((head >= 0) & (run.home_ip != None))  # noqa: E711
    if not len(members):
        return
    heads = head[members]
    missing = heads[run.home_ip[heads] == None]  # noqa: E711
    if len(missing):
        from fraud.simulate.ipranges import addresses_in

        run.home_ip[missing] = addresses_in(run.nets, run.pop.home_network[missing], run.rng)
    run.home_ip[members] = run.home_ip[heads]


def household_devices(run: Run, cols: dict, cust: np.ndarray, quirk: np.ndarray) -> None:
    """A household-device order: the shared computer and the shared home connection."""
    idx = np.flatnonzero(quirk == "household_device")
    if not len(idx):
        return
    # a housemate's own first device is the shared one
    heads = np.where(run.pop.household_head[cust[idx]] >= 0, run.pop.household_head[cust[idx]],
                     cust[idx])
    cols["device"][idx] = run.pop.device_id[heads, 0]
    cols["ua"][idx] = run.pop.device_ua[heads, 0]
    cols["ip"][idx] = run.home_ip[heads]


# --- networks and pick-up points many customers share --------------------------------------------


def _pools(cust: np.ndarray, groups: np.ndarray, per_pool: int,
           make: Callable[[str, int], list]) -> np.ndarray:
    """Index into a shared pool for each order: ``make(group, n)`` builds a group's pool,
    sized so that about ``per_pool`` customers share each entry; a customer keeps theirs."""
    out = np.empty(len(cust), dtype=object)
    for g in np.unique(groups.astype(str)):
        mine = np.flatnonzero(groups == g)
        customers = np.unique(cust[mine])
        n = max(1, int(round(len(customers) / per_pool)))
        pool = make(g, n)
        slot = np.searchsorted(customers, cust[mine]) % n
        for j, i in enumerate(mine.tolist()):
            out[i] = pool[slot[j]]
    return out


def carrier_nat(run: Run, cols: dict, quirk: np.ndarray) -> None:
    """Phones behind a mobile carrier's shared addresses: a country-level carrier range,
    one of a few addresses that a whole crowd of customers comes out of."""
    idx = np.flatnonzero(quirk == "carrier_nat")
    if not len(idx):
        return
    rng, country = run.rng, cols["b_country"][idx]
    per_ip = run.shop.nat_customers_per_ip
    pools = {}
    for c in np.unique(country.astype(str)):
        k = int((country == c).sum())
        pools[c] = draw.ips(run, np.full(max(1, round(k / per_ip)), c, dtype=object),
                            coarse=True)
    # the carrier hands out its addresses without regard to who is behind them
    cols["ip"][idx] = [pools[c][rng.integers(len(pools[c]))] for c in country.tolist()]
    cols["ua"][idx] = draw.user_agents(rng, len(idx), mobile=1.0)


def office_network(run: Run, cols: dict, cust: np.ndarray, quirk: np.ndarray) -> None:
    """Ordering from work: colleagues share the office's one public address."""
    idx = np.flatnonzero(quirk == "office_network")
    if not len(idx):
        return

    def offices(country: str, n: int) -> list:
        return list(draw.ips(run, np.full(n, country, dtype=object)))

    cols["ip"][idx] = _pools(cust[idx], cols["b_country"][idx], run.shop.office_size, offices)
    cols["ua"][idx] = draw.user_agents(run.rng, len(idx), mobile=0.0)


def shared_pickup_points(run: Run, cols: dict, cust: np.ndarray, quirk: np.ndarray) -> None:
    """A busy parcel shop or locker in the customer's region, the same one every time."""
    idx = np.flatnonzero(quirk == "shared_pickup_point")
    if not len(idx):
        return
    rng = run.rng
    country = cols["b_country"][idx]
    region = run.pop.region[cust[idx]]
    group = np.array([f"{c}|{r}" for c, r in zip(country.tolist(), region.tolist(),
                                                 strict=True)], dtype=object)

    def points(key: str, n: int) -> list:
        c, _, r = key.partition("|")
        place = draw.addresses(rng, np.full(n, c, dtype=object),
                               np.full(n, r, dtype=object) if r else None)
        options = names.PICKUP_POINTS.get(c, names.PICKUP_POINTS["NL"])
        return [(place["street"][j], place["house"][j], place["postal"][j], place["city"][j],
                 c, options[rng.integers(len(options))]) for j in range(n)]

    chosen = _pools(cust[idx], group, run.shop.pickup_customers, points)
    for i, (street, house, postal, city, c, shop) in zip(idx.tolist(), chosen, strict=True):
        cols["s_street"][i], cols["s_house"][i] = street, house
        cols["s_postal"][i], cols["s_city"][i], cols["s_country"][i] = postal, city, c
        cols["s_recipient"][i] = shop
    cols["ship"][idx] = "pickup_point"


# --- victims who keep ordering -------------------------------------------------------------------


def victim_customers(run: Run, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer, time, paid with the card the fraudster used) for ``k`` honest orders by
    victims after the fraud against them; fewer when there are too few victims."""
    rng, pop = run.rng, run.pop
    if k <= 0 or not run.victims:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([], bool)
    who = np.concatenate([v for v, _, _ in run.victims])
    when = np.concatenate([t for _, t, _ in run.victims])
    card = np.concatenate([c for _, _, c in run.victims])
    room = np.flatnonzero(when < run.end - _DAY)
    if not len(room):
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([], bool)
    k = min(k, 4 * len(room))  # a victim orders again a few times at most
    pick = room[rng.choice(len(room), k, replace=len(room) < k)]
    # an order a few hours to two months after the fraud, often before anyone noticed
    span = np.minimum(run.end - 60 - when[pick], 60 * _DAY)
    t = when[pick] + 6 * 3600 + (rng.random(k) * np.maximum(span - 6 * 3600, 1)).astype(np.int64)
    t = np.minimum(t, run.end - 60)
    created = pop.account_created[who[pick]]
    has_account = pop.account_id[who[pick]] != None  # noqa: E711
    t = np.where(has_account, np.maximum(t, created + 3600), t)
    keep = t < run.end
    return who[pick][keep], t[keep], card[pick][keep]


def pay_with_used_card(run: Run, cols: dict, cust: np.ndarray, used: np.ndarray) -> None:
    """Victims whose card number was used keep paying with it: they do not know yet."""
    idx = np.flatnonzero(used)
    if not len(idx):
        return
    pop = run.pop
    cols["method"][idx] = "card"
    cols["card_bin"][idx], cols["card_last4"][idx] = pop.card_bin[cust[idx]], \
        pop.card_last4[cust[idx]]
    cols["card_country"][idx] = pop.country[cust[idx]]
    cols["three_ds"][idx] = draw.three_ds(run.rng, len(idx), draw.HONEST_3DS)

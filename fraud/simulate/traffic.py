"""Honest orders: repeat customers ordering parts from home, and the honest
behaviours that look odd to a fraud check (travel, VPNs, pick-up points...).
"""

from __future__ import annotations

import numpy as np

from fraud.simulate import draw, names, shared, world
from fraud.simulate.catalogue import REPAIR_MIX
from fraud.simulate.draw import Run
from fraud.simulate.ipranges import addresses_in
from fraud.simulate.rates import QUIRKS, Rates
from fraud.simulate.table import Block, concat

_YEAR = 365 * 86_400


# Victims' orders after the fraud are made apart, once the fraud is known.
DRAWN_QUIRKS = tuple(q for q in QUIRKS if q != "victim_reorder")


def draw_quirks(rng: np.random.Generator, n: int, rates: Rates) -> np.ndarray:
    """One honest quirk (or 'none') per order.

    Quirks at rate 0 take part with probability 0: they never come up and do not
    change which of the others does (the default shop's draws stay as they were).
    """
    shares = [getattr(rates, q) for q in DRAWN_QUIRKS]
    p = np.array(shares + [1 - sum(shares)])
    return np.array(DRAWN_QUIRKS + ("none",), dtype=object)[rng.choice(len(p), n, p=p)]


def honest_block(run: Run, n: int, rates: Rates, reserved: np.ndarray) -> Block:
    """``n`` honest orders; ``reserved`` customers are kept for first-time big orders."""
    rng, pop = run.rng, run.pop
    quirk = draw_quirks(rng, n, rates)
    t = draw.times(run, n)
    weight = pop.activity.copy()
    weight[reserved] = 0
    cust = rng.choice(len(pop), n, p=weight / weight.sum())
    _assign_border_customers(run, cust, quirk, weight)
    _assign_newcomers(cust, quirk, reserved)
    if rates.household_device > 0:
        members = shared.make_households(run, int((quirk == "household_device").sum()),
                                         np.flatnonzero(weight > 0))
        shared.assign_household_orders(run, cust, quirk, members)
    _set_account_times(run, cust, t, quirk, reserved)
    return customer_orders(run, cust, t, quirk)


def customer_orders(run: Run, cust: np.ndarray, t: np.ndarray, quirk: np.ndarray) -> Block:
    """Honest orders by customers ``cust`` at times ``t``, each with its quirk applied."""
    rng, pop = run.rng, run.pop
    n = len(cust)
    country = pop.country[cust]
    slot = (rng.random(n) * pop.n_devices[cust]).astype(np.int64)
    device = np.where(rng.random(n) < 0.05, None, pop.device_id[cust, slot])
    _fill_home_ips(run, cust)
    shared.share_household_ips(run)
    cols = {
        "t": t,
        "account_id": pop.account_id[cust],
        "account_created": np.where(pop.account_id[cust] == None, -1,  # noqa: E711
                                    pop.account_created[cust]),
        "name": pop.name[cust], "email": pop.email[cust], "phone": pop.phone[cust],
        "b_street": pop.street[cust], "b_house": pop.house_number[cust],
        "b_postal": pop.postal_code[cust], "b_city": pop.city[cust], "b_country": country,
        "s_recipient": np.full(n, None, dtype=object),
        "ip": run.home_ip[cust],
        "ua": pop.device_ua[cust, slot], "device": device,
        "ship": np.where(rng.random(n) < 0.12, "express", "standard").astype(object),
        "pattern": np.full(n, "none", dtype=object), "quirk": quirk,
    }
    for k in ("street", "house", "postal", "city", "country"):
        cols["s_" + k] = cols["b_" + k].copy()
    cols.update(_payments(run, cust, country))
    rows = np.arange(n)
    plain = (quirk != "workshop_shipping") & (quirk != "new_account_big_order")
    lines = [draw.basket(run, rows[plain], run.shop.category_mix, run.shop.basket_extra)]
    repair = np.flatnonzero(~plain)
    lines.append(draw.basket(run, repair, REPAIR_MIX, mean_extra=1.8))
    lines.append(draw.big_ticket(run, np.flatnonzero(quirk == "new_account_big_order")))
    _apply_quirks(run, cols, cust, quirk)
    return Block(cols, *(np.concatenate(part) for part in zip(*lines, strict=True)))


def _assign_border_customers(run: Run, cust: np.ndarray, quirk: np.ndarray,
                             weight: np.ndarray) -> None:
    """Cross-border orders come from people who live near a border."""
    idx = np.flatnonzero(quirk == "cross_border")
    border = np.flatnonzero(run.pop.border & (weight > 0))
    if not len(idx) or not len(border):
        quirk[idx] = "none"
        return
    w = weight[border]
    cust[idx] = border[run.rng.choice(len(border), len(idx), p=w / w.sum())]


def _assign_newcomers(cust: np.ndarray, quirk: np.ndarray, reserved: np.ndarray) -> None:
    """A big first order comes from a customer who never ordered before."""
    idx = np.flatnonzero(quirk == "new_account_big_order")
    take = min(len(idx), len(reserved))
    quirk[idx[take:]] = "none"
    cust[idx[:take]] = reserved[:take]


def _set_account_times(run: Run, cust: np.ndarray, t: np.ndarray, quirk: np.ndarray,
                       reserved: np.ndarray) -> None:
    """Accounts opened years ago, or minutes before a first order (never after it)."""
    rng, pop = run.rng, run.pop
    n_pop = len(pop)
    first = np.full(n_pop, np.iinfo(np.int64).max)
    np.minimum.at(first, cust, t)
    age = np.exp(rng.uniform(np.log(86_400), np.log(6 * _YEAR), n_pop)).astype(np.int64)
    created = run.start - age
    ordered = first < np.iinfo(np.int64).max
    signup = ordered & (rng.random(n_pop) < 0.25)
    created = np.where(signup, first - rng.integers(60, 1800, n_pop), created)
    created = np.where(ordered, np.minimum(created, first - 60), created)
    created[reserved] = np.where(ordered[reserved], first[reserved] - rng.integers(
        300, 5400, len(reserved)), created[reserved])
    pop.account_created[:] = created


def _fill_home_ips(run: Run, cust: np.ndarray) -> None:
    """A stable home address for every customer who orders."""
    if len(run.home_ip) != len(run.pop):
        run.home_ip = np.full(len(run.pop), None, dtype=object)
    unique = np.unique(cust)
    missing = unique[run.home_ip[unique] == None]  # noqa: E711
    run.home_ip[missing] = addresses_in(run.nets, run.pop.home_network[missing], run.rng)


def _payments(run: Run, cust: np.ndarray, country: np.ndarray) -> dict[str, np.ndarray]:
    """Usually the customer's own habit, sometimes another of the country's methods."""
    rng, pop = run.rng, run.pop
    n = len(cust)
    method = pop.payment[cust].copy()
    switch = np.flatnonzero(rng.random(n) < 0.15)
    for c in np.unique(country[switch].astype(str)):
        idx = switch[country[switch] == c]
        mix = run.shop.payment_mix
        method[idx] = draw.pick(rng, mix.get(c, mix["*"]), len(idx))
    is_card = method == "card"
    none = np.full(n, None, dtype=object)
    return {
        "method": method,
        "card_bin": np.where(is_card, pop.card_bin[cust], none),
        "card_last4": np.where(is_card, pop.card_last4[cust], none),
        "card_country": np.where(is_card, country, none),
        "three_ds": np.where(is_card, draw.three_ds(rng, n, draw.HONEST_3DS), none),
    }


def _apply_quirks(run: Run, cols: dict[str, np.ndarray], cust: np.ndarray,
                  quirk: np.ndarray) -> None:
    """Overwrite the columns each odd-but-honest behaviour changes."""
    rng = run.rng
    country = cols["b_country"]

    idx = np.flatnonzero(quirk == "travel_abroad")
    away = draw.pick(rng, world.HOLIDAY_COUNTRIES, len(idx))
    away = np.where(away == country[idx], "ES", away)
    cols["ip"][idx] = draw.ips(run, away)

    idx = np.flatnonzero(quirk == "company_vpn")
    cols["ip"][idx] = draw.ips(run, draw.pick(rng, world.VPN_EXIT_COUNTRIES, len(idx)))
    cols["ua"][idx] = draw.user_agents(rng, len(idx), mobile=0.0)

    idx = np.flatnonzero(quirk == "mobile_ip")
    cols["ip"][idx] = draw.ips(run, country[idx], coarse=True)
    cols["ua"][idx] = draw.user_agents(rng, len(idx), mobile=1.0)

    idx = np.flatnonzero(quirk == "workshop_shipping")
    _ship_elsewhere(run, cols, idx, country[idx], run.pop.region[cust[idx]])
    templates = [names.WORKSHOP_NAMES.get(c, names.WORKSHOP_NAMES["NL"]) for c in country[idx]]
    lasts = draw.people(rng, country[idx])["last"]
    cols["s_recipient"][idx] = [tpl[rng.integers(len(tpl))].format(last=last)
                                for tpl, last in zip(templates, lasts, strict=True)]

    idx = np.flatnonzero(quirk == "pickup_point")
    _pickup_points(run, cols, idx)

    idx = np.flatnonzero(quirk == "gift")
    dest = np.where(rng.random(len(idx)) < 0.8, country[idx], _neighbour(rng, country[idx]))
    _ship_elsewhere(run, cols, idx, dest, None)
    cols["s_recipient"][idx] = draw.people(rng, dest)["name"]

    idx = np.flatnonzero(quirk == "cross_border")
    over = _neighbour(rng, country[idx])
    cols["ip"][idx] = draw.ips(run, over)
    work = idx[rng.random(len(idx)) < 0.3]
    _ship_elsewhere(run, cols, work, _neighbour(rng, country[work]), None)
    works_there = rng.random(len(idx)) < 0.25
    _card_from(run, cols, idx[works_there], over[works_there])

    idx = np.flatnonzero(quirk == "foreign_card")
    abroad = draw.pick(rng, world.FOREIGN_CARD_COUNTRIES, len(idx))
    abroad = np.where(abroad == country[idx], "LT", abroad)
    _card_from(run, cols, idx, abroad)

    idx = np.flatnonzero(quirk == "honest_forwarder")
    _to_forwarder(run, cols, idx)

    idx = np.flatnonzero(quirk == "automation_ua")
    cols["ua"][idx] = draw.user_agents(rng, len(idx), automation=1.0)

    shared.carrier_nat(run, cols, quirk)
    shared.office_network(run, cols, cust, quirk)
    shared.household_devices(run, cols, cust, quirk)
    shared.shared_pickup_points(run, cols, cust, quirk)


def filler_orders(run: Run, k: int) -> Block:
    """``k`` plain honest orders by customers whose accounts predate the run (or guests):
    they make up the count when a shop has too few victims or chargebacks for a quirk."""
    pop = run.pop
    ok = np.flatnonzero((pop.account_id == None) | (pop.account_created < run.start))  # noqa: E711
    w = pop.activity[ok] + 0.01
    cust = ok[run.rng.choice(len(ok), k, p=w / w.sum())]
    t = draw.times(run, k)
    return customer_orders(run, cust, t, np.full(k, "none", dtype=object))


def victim_reorders(run: Run, k: int) -> Block:
    """Honest orders by victims of stolen cards and takeovers, after the fraud."""
    cust, t, used_card = shared.victim_customers(run, k)
    blocks = [filler_orders(run, k - len(cust))] if len(cust) < k else []
    if len(cust):
        quirk = np.full(len(cust), "victim_reorder", dtype=object)
        block = customer_orders(run, cust, t, quirk)
        shared.pay_with_used_card(run, block.cols, cust, used_card)
        blocks.append(block)
    return concat(blocks)


def _neighbour(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    out = np.empty(len(countries), dtype=object)
    for i, c in enumerate(countries):
        options = world.NEIGHBOURS.get(c, ("DE",))
        out[i] = options[rng.integers(len(options))]
    return out


def _ship_elsewhere(run: Run, cols: dict, idx: np.ndarray, countries: np.ndarray,
                    regions: np.ndarray | None) -> None:
    """Shipping to another real address in the given countries (and regions)."""
    if not len(idx):
        return
    place = draw.addresses(run.rng, countries.astype(object), regions)
    for k in ("street", "house", "postal", "city"):
        cols["s_" + k][idx] = place[k]
    cols["s_country"][idx] = countries


def _pickup_points(run: Run, cols: dict, idx: np.ndarray) -> None:
    """A parcel shop or locker near home: same postal area and town, named as such."""
    rng = run.rng
    cols["ship"][idx] = "pickup_point"
    u = rng.random((len(idx), 3)).tolist()
    suffixes = world.nl_suffixes(rng, len(idx)).tolist()
    for j, i in enumerate(idx.tolist()):
        c = cols["b_country"][i]
        options = names.PICKUP_POINTS.get(c, names.PICKUP_POINTS["NL"])
        shop = options[int(u[j][0] * len(options))]
        if shop == "DHL Packstation":
            cols["s_street"][i], cols["s_house"][i] = "Packstation", str(100 + int(u[j][1] * 300))
        else:
            streets = names.STREETS[c]
            cols["s_street"][i] = streets[int(u[j][1] * len(streets))]
            cols["s_house"][i] = str(1 + int(u[j][2] * 120))
            cols["s_recipient"][i] = shop
        if c == "NL":
            cols["s_postal"][i] = cols["b_postal"][i][:4] + suffixes[j]


def _card_from(run: Run, cols: dict, idx: np.ndarray, countries: np.ndarray) -> None:
    """Pay by a card issued in another country."""
    if not len(idx):
        return
    bins, last4 = draw.cards(run.rng, countries)
    cols["method"][idx] = "card"
    cols["card_bin"][idx], cols["card_last4"][idx] = bins, last4
    cols["card_country"][idx] = countries
    cols["three_ds"][idx] = draw.three_ds(run.rng, len(idx), draw.HONEST_3DS)


def _to_forwarder(run: Run, cols: dict, idx: np.ndarray) -> None:
    """Ship to a parcel forwarder's warehouse (named in the address signal's list)."""
    fwd = world.forwarders()
    for i in idx.tolist():
        f = fwd[run.rng.integers(len(fwd))]
        cols["s_street"][i], cols["s_house"][i] = f.street, f.house_number
        cols["s_postal"][i], cols["s_city"][i], cols["s_country"][i] = (
            f.postal_code, f.city, f.country)
        cols["s_recipient"][i] = cols["name"][i]

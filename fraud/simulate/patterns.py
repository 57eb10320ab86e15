"""Fraud patterns, each with its own label. They borrow honest-looking details
on purpose (domestic proxies, real victims' addresses, pick-up points) so that
no single rule catches them all.
"""

from __future__ import annotations

import numpy as np

from fraud.simulate import draw, world
from fraud.simulate.catalogue import CHEAP_MIX, RESALE_MIX
from fraud.simulate.draw import Run
from fraud.simulate.table import FIELDS, INT_FIELDS, NONE, Block

_YEAR = 365 * 86_400
_FRAUD_DOMAINS = {"gmail.com": 40, "outlook.com": 14, "hotmail.com": 10, "yahoo.com": 5,
                  "protonmail.com": 8, "gmx.net": 5, "yopmail.com": 6, "guerrillamail.com": 4,
                  "mailinator.com": 4, "trashmail.com": 4}
_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"), dtype=object)


def empty_columns(k: int, pattern: str) -> dict[str, np.ndarray]:
    cols = {f: np.full(k, None, dtype=object) for f in FIELDS}
    for f in INT_FIELDS:
        cols[f] = np.full(k, -1, dtype=np.int64)
    cols["pattern"][:] = pattern
    cols["quirk"][:] = "none"
    cols["ship"][:] = "standard"
    return cols


def make_block(cols: dict, lines: list[tuple]) -> Block:
    lines = [part for part in lines if len(part[0])]
    if not lines:
        empty = np.array([], dtype=np.int64)
        return Block(cols, empty, empty, empty)
    return Block(cols, *(np.concatenate(part) for part in zip(*lines, strict=True)))


def fraud_emails(run: Run, names_: np.ndarray, match_name: float = 0.4) -> np.ndarray:
    """Throw-away looking addresses; some borrow the victim's name to look genuine."""
    rng = run.rng
    k = len(names_)
    randoms = np.array(["".join(_LETTERS[rng.integers(0, 26, rng.integers(5, 10))])
                        + str(rng.integers(10, 9999)) for _ in range(k)], dtype=object)
    from fraud.simulate.population import ascii_word

    named = np.array([".".join(ascii_word(w) for w in str(n).split()[:2])
                      + str(rng.integers(1, 999)) for n in names_], dtype=object)
    local = np.where(rng.random(k) < match_name, named, randoms)
    return local + "@" + draw.pick(rng, _FRAUD_DOMAINS, k)


def fraud_phones(run: Run, countries: np.ndarray, none: float) -> np.ndarray:
    numbers = world.phone_numbers(run.rng, countries, np.ones(len(countries), dtype=bool))
    return np.where(run.rng.random(len(countries)) < none, NONE, numbers)


def _set_billing(cols: dict, idx: np.ndarray | slice, place: dict, country: np.ndarray) -> None:
    cols["b_street"][idx], cols["b_house"][idx] = place["street"], place["house"]
    cols["b_postal"][idx], cols["b_city"][idx] = place["postal"], place["city"]
    cols["b_country"][idx] = country


def ship_to_billing(cols: dict) -> None:
    for k in ("street", "house", "postal", "city", "country"):
        cols["s_" + k] = cols["b_" + k].copy()


def ship_to(run: Run, cols: dict, idx: np.ndarray, countries: np.ndarray,
             recipient: np.ndarray | None = None) -> None:
    place = draw.addresses(run.rng, countries)
    cols["s_street"][idx], cols["s_house"][idx] = place["street"], place["house"]
    cols["s_postal"][idx], cols["s_city"][idx] = place["postal"], place["city"]
    cols["s_country"][idx] = countries
    if recipient is not None:
        cols["s_recipient"][idx] = recipient


def _ship_to_forwarder(run: Run, cols: dict, idx: np.ndarray, suite: float = 0.4) -> None:
    fwd = world.forwarders()
    for i in idx.tolist():
        f = fwd[run.rng.integers(len(fwd))]
        cols["s_street"][i], cols["s_house"][i] = f.street, f.house_number
        cols["s_postal"][i], cols["s_city"][i], cols["s_country"][i] = (
            f.postal_code, f.city, f.country)
        name = cols["name"][i]
        if run.rng.random() < suite:
            name = f"{name} Suite {run.rng.integers(1000, 99999)}"
        cols["s_recipient"][i] = name


def pay(run: Run, cols: dict, idx: np.ndarray, methods: dict[str, float],
         card_countries: np.ndarray, p3ds: np.ndarray = draw.FRAUD_3DS) -> None:
    """Payment with stolen credentials: cards from the given countries where it is a card."""
    rng = run.rng
    method = draw.pick(rng, methods, len(idx))
    cols["method"][idx] = method
    card = idx[method == "card"]
    bins, last4 = draw.cards(rng, card_countries[method == "card"])
    cols["card_bin"][card], cols["card_last4"][card] = bins, last4
    cols["card_country"][card] = card_countries[method == "card"]
    cols["three_ds"][card] = draw.three_ds(rng, len(card), p3ds)


def basket_lines(run: Run, k: int, resale: float, big: float = 0.0) -> list[tuple]:
    rows = np.arange(k)
    hot = run.rng.random(k) < resale
    out = [draw.basket(run, rows[hot], RESALE_MIX, 0.5),
           draw.basket(run, rows[~hot], run.shop.category_mix)]
    out.append(draw.big_ticket(run, rows[run.rng.random(k) < big]))
    return out


def fraud_ips(run: Run, countries: np.ndarray, foreign: float, proxy: float, vpn: float
            ) -> np.ndarray:
    """Fraudsters' IPs: abroad, a residential proxy in the victim's country, or a VPN."""
    rng = run.rng
    k = len(countries)
    u = rng.random(k)
    where = countries.copy()
    abroad = u < foreign
    where[abroad] = draw.pick(rng, world.FRAUD_IP_COUNTRIES, int(abroad.sum()))
    vpn_mask = (u >= foreign + proxy) & (u < foreign + proxy + vpn)
    where[vpn_mask] = draw.pick(rng, world.VPN_EXIT_COUNTRIES, int(vpn_mask.sum()))
    return draw.ips(run, where)


def pick_victims(run: Run, k: int, old_accounts: bool = False) -> np.ndarray:
    pop = run.pop
    ok = np.isin(pop.country, list(run.shop.fraud_homes))
    if old_accounts:
        ok &= (pop.account_id != None) & (pop.account_created < run.start - 180 * 86_400)  # noqa: E711
    candidates = np.flatnonzero(ok)
    w = pop.activity[candidates] + 0.05
    return candidates[run.rng.choice(len(candidates), k, p=w / w.sum())]


def stolen_card(run: Run, k: int) -> Block:
    """Guest or brand-new account, a victim's card and identity, resaleable parts, often rushed."""
    rng, pop = run.rng, run.pop
    cols = empty_columns(k, "stolen_card")
    v = pick_victims(run, k)
    country = pop.country[v]
    cols["t"] = draw.times(run, k, night=0.3)
    own = rng.random(k) < 0.7
    fake = draw.people(rng, country)
    cols["name"] = np.where(own, pop.name[v], fake["name"])
    place = draw.addresses(rng, country)
    _set_billing(cols, slice(None), {
        "street": np.where(own, pop.street[v], place["street"]),
        "house": np.where(own, pop.house_number[v], place["house"]),
        "postal": np.where(own, pop.postal_code[v], place["postal"]),
        "city": np.where(own, pop.city[v], place["city"])}, country)
    cols["email"] = fraud_emails(run, cols["name"])
    cols["phone"] = fraud_phones(run, country, none=0.45)
    style = run.shop.style
    member = np.flatnonzero(rng.random(k) < or_default(style.account_share, 0.4))
    cols["account_id"][member] = run.new_account_ids(len(member))
    cols["account_created"][member] = cols["t"][member] - rng.integers(120, 3 * 86_400, len(member))
    age_some_accounts(run, cols, member)
    cols["ip"] = fraud_ips(run, country, *style.ips(0.5, 0.3, 0.15))
    local = np.flatnonzero(rng.random(k) < 0.05)
    cols["ip"][local] = draw.ips(run, country[local], pop.region[v[local]])
    cols["device"] = np.where(rng.random(k) < 0.08, NONE, run.new_device_ids(k))
    cols["ua"] = draw.user_agents(rng, k, automation=0.15)
    card_country = np.where(rng.random(k) < 0.75, country,
                            draw.pick(rng, world.FRAUD_CARD_COUNTRIES, k))
    pay(run, cols, np.arange(k), {"card": 80, "paypal": 10, "klarna": 5, "apple_pay": 5},
         card_country)
    victims_card = _victims_card(run, cols, v, own)
    ship_to_billing(cols)
    drop_shipping(run, cols, np.flatnonzero(rng.random(k) < or_default(style.drop_shipping, 0.6)),
                   country)
    u = rng.random(k)
    cols["ship"] = np.where(u < 0.45, "express", np.where(u < 0.53, "pickup_point", "standard"))
    _sessions(run, cols, share=0.3)
    linked = own | victims_card
    run.victims.append((v[linked], cols["t"][linked], victims_card[linked]))
    return make_block(cols, basket_lines(run, k, resale=0.75, big=0.1))


def or_default(value: float | None, default: float) -> float:
    return default if value is None else value


def age_some_accounts(run: Run, cols: dict, members: np.ndarray) -> None:
    """Some fraudsters buy or farm accounts that look years old (the shop's fraud style)."""
    share = run.shop.style.aged_accounts
    if share <= 0 or not len(members):
        return  # the default shop draws nothing here
    aged = members[run.rng.random(len(members)) < share]
    age = run.rng.integers(200 * 86_400, 6 * _YEAR, len(aged))
    cols["account_created"][aged] = cols["t"][aged] - age


def _victims_card(run: Run, cols: dict, v: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Where the shop's fraud style says so, the card charged is the victim's own card."""
    share = run.shop.style.victim_card
    k = len(v)
    if share <= 0:
        return np.zeros(k, dtype=bool)
    pop = run.pop
    same = ((cols["method"] == "card") & (cols["card_country"] == pop.country[v])
            & (run.rng.random(k) < share))
    cols["card_bin"][same], cols["card_last4"][same] = pop.card_bin[v][same], \
        pop.card_last4[v][same]
    return same


def drop_shipping(run: Run, cols: dict, idx: np.ndarray, country: np.ndarray) -> None:
    """A drop address (a mule's, a neighbour country's) or a forwarder's warehouse."""
    rng = run.rng
    u = rng.random(len(idx))
    same, near, fwd = idx[u < 0.7], idx[(u >= 0.7) & (u < 0.85)], idx[u >= 0.85]
    mules = draw.people(rng, country[same])["name"]
    ship_to(run, cols, same, country[same],
             np.where(rng.random(len(same)) < 0.5, mules, NONE))
    from fraud.simulate.traffic import _neighbour

    ship_to(run, cols, near, _neighbour(rng, country[near]))
    _ship_to_forwarder(run, cols, fwd)


def _sessions(run: Run, cols: dict, share: float) -> None:
    """Some fraudsters come back within the hour from the same IP and device."""
    rng = run.rng
    k = len(cols["t"])
    follow = np.flatnonzero(rng.random(k) < share)
    follow = follow[follow > 0]
    for i in follow.tolist():
        for f in ("ip", "device", "ua", "email"):
            cols[f][i] = cols[f][i - 1]
        cols["t"][i] = min(cols["t"][i - 1] + int(rng.integers(300, 7200)), run.end - 1)
        if cols["account_created"][i - 1] >= 0:
            cols["account_id"][i] = cols["account_id"][i - 1]
            cols["account_created"][i] = cols["account_created"][i - 1]
        else:
            cols["account_id"][i], cols["account_created"][i] = None, -1


def account_takeover(run: Run, k: int) -> Block:
    """An old, good account suddenly ordering from a new place and device, to a new address."""
    rng, pop = run.rng, run.pop
    cols = empty_columns(k, "account_takeover")
    sessions = max(1, int(np.ceil(k / 1.6)))
    victims = pick_victims(run, sessions, old_accounts=True)
    session = np.sort(rng.integers(0, sessions, k))
    session[: min(k, sessions)] = np.arange(min(k, sessions))
    session = np.sort(session)
    v = victims[session]
    country = pop.country[v]
    t0 = draw.times(run, sessions, night=0.2)
    cols["t"] = np.minimum(t0[session] + rng.integers(0, 36 * 3600, k) * (
        np.r_[False, session[1:] == session[:-1]]), run.end - 1)
    cols["account_id"], cols["account_created"] = pop.account_id[v], pop.account_created[v]
    cols["name"], cols["email"] = pop.name[v], pop.email[v]
    cols["phone"] = np.where(rng.random(k) < 0.7, pop.phone[v], NONE)
    _set_billing(cols, slice(None), {"street": pop.street[v], "house": pop.house_number[v],
                                     "postal": pop.postal_code[v], "city": pop.city[v]}, country)
    ip_mix = run.shop.style.ip_mix
    abroad = 0.6 if ip_mix is None else ip_mix[0] + ip_mix[2]
    where = np.where(rng.random(sessions) < abroad,
                     np.where(rng.random(sessions) < 0.7,
                              draw.pick(rng, world.FRAUD_IP_COUNTRIES, sessions),
                              draw.pick(rng, world.HOLIDAY_COUNTRIES, sessions)),
                     pop.country[victims])
    cols["ip"] = draw.ips(run, where)[session]
    cols["device"] = run.new_device_ids(sessions)[session]
    cols["ua"] = draw.user_agents(rng, sessions, automation=0.05)[session]
    ship_to_billing(cols)
    u = rng.random(k)
    drop, fwd, pickup = np.flatnonzero(u < 0.45), np.flatnonzero((u >= 0.45) & (u < 0.7)), \
        np.flatnonzero((u >= 0.7) & (u < 0.85))
    ship_to(run, cols, drop, country[drop],
             np.where(rng.random(len(drop)) < 0.5, draw.people(rng, country[drop])["name"], NONE))
    _ship_to_forwarder(run, cols, fwd)
    ship_to(run, cols, pickup, country[pickup], np.array(
        [world_pickup(run, c) for c in country[pickup]], dtype=object))
    cols["ship"] = np.where(rng.random(k) < 0.4, "express", "standard").astype(object)
    cols["ship"][pickup] = "pickup_point"
    pay(run, cols, np.arange(k), {"card": 50, "paypal": 30, "klarna": 20}, country)
    stored = cols["method"] == "card"
    cols["card_bin"][stored], cols["card_last4"][stored] = pop.card_bin[v][stored], \
        pop.card_last4[v][stored]
    run.victims.append((v, cols["t"], stored))
    return make_block(cols, basket_lines(run, k, resale=0.8, big=0.3))


def world_pickup(run: Run, country: str) -> str:
    from fraud.simulate import names

    options = names.PICKUP_POINTS.get(country, names.PICKUP_POINTS["NL"])
    return options[run.rng.integers(len(options))]


def reshipper(run: Run, k: int) -> Block:
    """Parts bought for a parcel forwarder's warehouse, to leave the EU unseen."""
    rng = run.rng
    cols = empty_columns(k, "reshipper")
    country = draw.pick(rng, run.shop.fraud_homes, k)
    cols["t"] = draw.times(run, k, night=0.3)
    person = draw.people(rng, country)
    cols["name"] = person["name"]
    cols["email"] = np.where(rng.random(k) < 0.5, person["email"],
                             fraud_emails(run, person["name"]))
    cols["phone"] = fraud_phones(run, country, none=0.5)
    _set_billing(cols, slice(None), draw.addresses(rng, country), country)
    style = run.shop.style
    member = np.flatnonzero(rng.random(k) < or_default(style.account_share, 0.3))
    cols["account_id"][member] = run.new_account_ids(len(member))
    cols["account_created"][member] = (cols["t"][member]
                                       - rng.integers(300, 20 * 86_400, len(member)))
    age_some_accounts(run, cols, member)
    cols["ip"] = fraud_ips(run, country, *style.ips(0.6, 0.25, 0.15))
    cols["device"] = np.where(rng.random(k) < 0.08, NONE, run.new_device_ids(k))
    cols["ua"] = draw.user_agents(rng, k, automation=0.1)
    card_country = np.where(rng.random(k) < 0.4, country,
                            draw.pick(rng, world.FRAUD_CARD_COUNTRIES, k))
    pay(run, cols, np.arange(k), {"card": 85, "paypal": 15}, card_country)
    ship_to_billing(cols)
    _ship_to_forwarder(run, cols, np.arange(k))
    cols["ship"] = np.where(rng.random(k) < 0.3, "express", "standard").astype(object)
    return make_block(cols, basket_lines(run, k, resale=0.7))


def card_testing(run: Run, k: int) -> Block:
    """Bursts of small orders from one IP and device, a different card each time."""
    rng = run.rng
    blocks, done = [], 0
    while done < k:
        size = min(int(rng.integers(4, 26)), k - done)
        blocks.append(_burst(run, size))
        done += size
    from fraud.simulate.table import concat

    return concat(blocks) if blocks else make_block(empty_columns(0, "card_testing"), [])


def _burst(run: Run, size: int) -> Block:
    rng = run.rng
    cols = empty_columns(size, "card_testing")
    country = draw.pick(rng, run.shop.fraud_homes, 1).repeat(size)
    start = min(int(draw.times(run, 1, night=0.5)[0]), run.end - 3 * 3600)
    cols["t"] = start + np.cumsum(rng.integers(20, 240, size))
    same_person = rng.random() < 0.5
    person = draw.people(rng, country[:1].repeat(1 if same_person else size))
    idx = np.zeros(size, dtype=np.int64) if same_person else np.arange(size)
    cols["name"] = person["name"][idx]
    emails = fraud_emails(run, person["name"], match_name=0.2)
    cols["email"] = emails[idx] if rng.random() < 0.6 else fraud_emails(run, cols["name"], 0.2)
    place = draw.addresses(rng, country[:1].repeat(1 if same_person else size))
    _set_billing(cols, slice(None), {k: v[idx] for k, v in place.items()}, country)
    if rng.random() < 0.4:
        cols["account_id"][:] = run.new_account_ids(1)[0]
        cols["account_created"][:] = start - int(rng.integers(60, 600))
    cols["ip"][:] = fraud_ips(run, country[:1], *run.shop.style.ips(0.5, 0.4, 0.1))[0]
    cols["device"][:] = None if rng.random() < 0.3 else run.new_device_ids(1)[0]
    cols["ua"][:] = draw.user_agents(rng, 1, automation=0.6)[0]
    card_country = np.where(rng.random(size) < 0.5, country,
                            draw.pick(rng, world.FRAUD_CARD_COUNTRIES, size))
    pay(run, cols, np.arange(size), {"card": 1}, card_country,
         np.array([0.10, 0.20, 0.35, 0.25, 0.10]))
    ship_to_billing(cols)
    rows = np.arange(size)
    lines = run.cat.basket(rng, rows, run.cat.mix(CHEAP_MIX))
    return make_block(cols, [(lines[0], lines[1], np.ones(size, dtype=np.int64))])


def fraud_ring(run: Run, k: int) -> Block:
    """Several accounts sharing devices, IPs, a phone and a drop address over weeks."""
    blocks, done = [], 0
    while done < k:
        block = _ring(run, k - done)
        blocks.append(block)
        done += block.n
    from fraud.simulate.table import concat

    return concat(blocks) if blocks else make_block(empty_columns(0, "fraud_ring"), [])


def _ring(run: Run, budget: int) -> Block:
    rng = run.rng
    members = int(rng.integers(3, 9))
    per_member = rng.integers(1, 5, members)
    owner = np.repeat(np.arange(members), per_member)[:budget]
    size = len(owner)
    cols = empty_columns(size, "fraud_ring")
    c = draw.pick(rng, run.shop.fraud_homes, 1)[0]
    country = np.full(size, c, dtype=object)
    span = min(run.days, int(rng.integers(14, 43))) * 86_400
    begin = run.start + int(rng.integers(0, max(1, run.days * 86_400 - span)))
    created = begin + np.sort(rng.integers(0, max(1, span // 3), members))
    cols["t"] = np.minimum(created[owner] + 3600 + rng.integers(0, span - span // 3, size),
                           run.end - 1)
    ids = run.new_account_ids(members)
    cols["account_id"], cols["account_created"] = ids[owner], created[owner]
    person = draw.people(rng, np.full(members, c, dtype=object))
    cols["name"], cols["email"] = person["name"][owner], person["email"][owner]
    home = draw.addresses(rng, np.full(members, c, dtype=object))
    _set_billing(cols, slice(None), {k: v[owner] for k, v in home.items()}, country)
    shared_phone = world.phone_number(c, rng)
    cols["phone"] = np.where(rng.random(size) < 0.6, shared_phone, NONE)
    devices = run.new_device_ids(int(rng.integers(1, 3)))
    uas = draw.user_agents(rng, len(devices), automation=0.1)
    pick_dev = rng.integers(0, len(devices), size)
    own_dev = rng.random(size) < 0.1
    cols["device"] = np.where(own_dev, run.new_device_ids(size), devices[pick_dev])
    cols["ua"] = np.where(own_dev, draw.user_agents(rng, size), uas[pick_dev])
    ip_where = np.where(rng.random(3) < 0.7, c, draw.pick(rng, world.FRAUD_IP_COUNTRIES, 3))
    shared_ips = draw.ips(run, ip_where.astype(object))[: int(rng.integers(1, 4))]
    own_ip = rng.random(size) < 0.2
    cols["ip"] = np.where(own_ip, draw.ips(run, country),
                          shared_ips[rng.integers(0, len(shared_ips), size)])
    ship_to_billing(cols)
    drop = draw.addresses(rng, np.array([c], dtype=object))
    to_drop = rng.random(size) < 0.8
    for key in ("street", "house", "postal", "city"):
        cols["s_" + key] = np.where(to_drop, drop[key][0], cols["s_" + key])
    card_country = np.where(rng.random(members) < 0.7, c,
                            draw.pick(rng, world.FRAUD_CARD_COUNTRIES, members))[owner]
    pay(run, cols, np.arange(size), {"card": 60, "klarna": 25, "paypal": 15}, card_country,
         np.array([0.5, 0.2, 0.05, 0.15, 0.1]))
    _one_card_per_member(cols, owner)
    cols["ship"] = np.where(rng.random(size) < 0.15, "express", "standard").astype(object)
    return make_block(cols, basket_lines(run, size, resale=0.5))


def _one_card_per_member(cols: dict, owner: np.ndarray) -> None:
    """Each ring account keeps using the card it was opened with."""
    first: dict[int, int] = {}
    for i in np.flatnonzero(cols["method"] == "card").tolist():
        j = first.setdefault(int(owner[i]), i)
        for f in ("card_bin", "card_last4", "card_country"):
            cols[f][i] = cols[f][j]

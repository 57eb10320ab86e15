"""Fraud that leaves a trail the shop could already have seen.

* ``reused_contact``: a fraudster comes back with a fresh name, address, card
  and device, but with the e-mail address or phone number of an earlier order
  that was charged back, after that chargeback reached the shop.
* ``address_burst``: one account ships to several different addresses within
  an hour (a bought, aged account or a fresh one), each order to another drop.
"""

from __future__ import annotations

import numpy as np

from fraud.simulate import draw
from fraud.simulate.draw import Run
from fraud.simulate.patterns import (
    age_some_accounts,
    basket_lines,
    drop_shipping,
    empty_columns,
    fraud_emails,
    fraud_ips,
    fraud_phones,
    make_block,
    or_default,
    pay,
    pick_victims,
    ship_to,
    ship_to_billing,
    world_pickup,
)
from fraud.simulate.table import NONE, Block, concat

_HOUR = 3600
_SOURCES = ("stolen_card", "reshipper", "card_testing", "fraud_ring", "address_burst")
"""Patterns whose contact details belong to the fraudster (a takeover's are the victim's)."""


def contact_sources(block: Block, chargeback_at: np.ndarray, end: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(rows, time the fraudster comes back after) of fraud whose contact can be reused.

    Orders charged back before ``end``, and the fraudster returns after the chargeback
    reached the shop. A run too short for any chargeback to arrive falls back on any
    earlier fraud order (its chargeback comes later), so the count still holds.
    """
    fraud = np.isin(block.cols["pattern"], _SOURCES)
    known = fraud & (chargeback_at >= 0) & (chargeback_at < end - _HOUR)
    if known.any():
        rows = np.flatnonzero(known)
        return rows, chargeback_at[rows]
    rows = np.flatnonzero(fraud & (block.cols["t"] < end - _HOUR))
    return rows, block.cols["t"][rows]


def reused_contact(run: Run, k: int, earlier: Block, chargeback_at: np.ndarray) -> Block:
    """``k`` orders reusing the e-mail or phone of an earlier fraud order, placed after its
    chargeback arrived (see :func:`contact_sources`); none if there is no earlier fraud."""
    rng, style = run.rng, run.shop.style
    sources, after = contact_sources(earlier, chargeback_at, run.end)
    if k <= 0 or not len(sources):
        return make_block(empty_columns(0, "reused_contact"), [])
    pick = rng.integers(0, len(sources), k)
    src, after = sources[pick], after[pick]
    cols = empty_columns(k, "reused_contact")
    wait = np.minimum(30 * 86_400, run.end - 60 - after)
    cols["t"] = after + 600 + (rng.random(k) * np.maximum(wait - 600, 1)).astype(np.int64)
    cols["t"] = np.minimum(cols["t"], run.end - 1)
    old = earlier.cols
    country = old["b_country"][src].copy()
    foreign = ~np.isin(country, list(run.shop.fraud_homes))
    country[foreign] = draw.pick(rng, run.shop.fraud_homes, int(foreign.sum()))
    person = draw.people(rng, country)
    cols["name"] = person["name"]
    _set_home(cols, draw.addresses(rng, country), country)
    has_phone = old["phone"][src] != None  # noqa: E711
    by_phone = has_phone & (rng.random(k) < 0.4)
    cols["email"] = np.where(by_phone, fraud_emails(run, person["name"]), old["email"][src])
    cols["phone"] = np.where(by_phone, old["phone"][src], fraud_phones(run, country, none=0.5))
    member = np.flatnonzero(rng.random(k) < or_default(style.account_share, 0.4))
    cols["account_id"][member] = run.new_account_ids(len(member))
    cols["account_created"][member] = cols["t"][member] - rng.integers(120, 5 * 86_400,
                                                                       len(member))
    age_some_accounts(run, cols, member)
    cols["ip"] = fraud_ips(run, country, *style.ips(0.5, 0.3, 0.15))
    cols["device"] = np.where(rng.random(k) < 0.1, NONE, run.new_device_ids(k))
    cols["ua"] = draw.user_agents(rng, k, automation=0.1)
    pay(run, cols, np.arange(k), {"card": 75, "paypal": 15, "klarna": 10}, country)
    ship_to_billing(cols)
    drop_shipping(run, cols, np.flatnonzero(rng.random(k) < or_default(style.drop_shipping, 0.6)),
                   country)
    cols["ship"] = np.where(rng.random(k) < 0.4, "express", "standard").astype(object)
    return make_block(cols, basket_lines(run, k, resale=0.7))


def _set_home(cols: dict, place: dict, country: np.ndarray) -> None:
    cols["b_street"], cols["b_house"] = place["street"], place["house"]
    cols["b_postal"], cols["b_city"], cols["b_country"] = place["postal"], place["city"], country


def address_burst(run: Run, k: int) -> Block:
    """Bursts of 3-6 orders within an hour from one account, each to a different address."""
    blocks, done = [], 0
    while done < k:
        size = min(int(run.rng.integers(3, 7)), k - done)
        blocks.append(_burst(run, size))
        done += size
    return concat(blocks) if blocks else make_block(empty_columns(0, "address_burst"), [])


def _burst(run: Run, size: int) -> Block:
    rng, pop, style = run.rng, run.pop, run.shop.style
    cols = empty_columns(size, "address_burst")
    start = min(int(draw.times(run, 1, night=0.3)[0]), run.end - _HOUR)
    # all within the hour: at most five gaps of ten minutes
    gaps = np.r_[0, rng.integers(60, 600, size - 1)]
    cols["t"] = start + np.cumsum(gaps)
    taken_over = rng.random() < max(style.aged_accounts, 0.3)
    if taken_over:
        v = int(pick_victims(run, 1, old_accounts=True)[0])
        c = str(pop.country[v])
        cols["account_id"][:], cols["account_created"][:] = pop.account_id[v], \
            pop.account_created[v]
        cols["name"][:], cols["email"][:] = pop.name[v], pop.email[v]
        cols["phone"][:] = pop.phone[v]
        cols["b_street"][:], cols["b_house"][:] = pop.street[v], pop.house_number[v]
        cols["b_postal"][:], cols["b_city"][:] = pop.postal_code[v], pop.city[v]
        run.victims.append((np.array([v]), cols["t"][:1].copy(), np.array([False])))
    else:
        c = str(draw.pick(rng, run.shop.fraud_homes, 1)[0])
        person = draw.people(rng, np.array([c], dtype=object))
        home = draw.addresses(rng, np.array([c], dtype=object))
        cols["account_id"][:] = run.new_account_ids(1)[0]
        cols["account_created"][:] = start - int(rng.integers(300, 10 * 86_400))
        cols["name"][:], cols["email"][:] = person["name"][0], fraud_emails(
            run, person["name"][:1])[0]
        cols["phone"][:] = fraud_phones(run, np.array([c], dtype=object), none=0.5)[0]
        cols["b_street"][:], cols["b_house"][:] = home["street"][0], home["house"][0]
        cols["b_postal"][:], cols["b_city"][:] = home["postal"][0], home["city"][0]
    country = np.full(size, c, dtype=object)
    cols["b_country"][:] = c
    cols["ip"][:] = fraud_ips(run, country[:1], *style.ips(0.4, 0.4, 0.15))[0]
    cols["device"][:] = run.new_device_ids(1)[0]
    cols["ua"][:] = draw.user_agents(rng, 1, automation=0.1)[0]
    pay(run, cols, np.arange(size), {"card": 70, "paypal": 20, "klarna": 10}, country)
    ship_to_billing(cols)
    rows = np.arange(size)
    pickup = rows[rng.random(size) < 0.2]
    drops = rows[~np.isin(rows, pickup)]
    ship_to(run, cols, drops, country[drops],
             np.where(rng.random(len(drops)) < 0.5, draw.people(rng, country[drops])["name"],
                      NONE))
    ship_to(run, cols, pickup, country[pickup],
             np.array([world_pickup(run, c) for _ in pickup], dtype=object))
    cols["ship"] = np.where(rng.random(size) < 0.5, "express", "standard").astype(object)
    cols["ship"][pickup] = "pickup_point"
    return make_block(cols, basket_lines(run, size, resale=0.7))

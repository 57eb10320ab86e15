"""Account events for simulated traffic: the logins and account changes the shop would
have posted (``POST /v1/events``) around the simulated orders.

A takeover logs in from where the fraudster is, on a device the account never used,
sometimes after failed attempts; then resets the password, changes the e-mail and adds a
delivery address, and orders minutes later. Honest customers log in before they order
(mostly from home, sometimes abroad or on a new phone), mistype a password now and then,
reset a forgotten one, add an address for a gift or a workshop and move house weeks
before ordering: each of a takeover's steps also happens to honest customers.

The events are drawn after the orders, from their own random stream: the same seed gives
the same orders with or without events. Every event is strictly before the order it
leads to, so an order never sees its own future.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fraud.simulate import io
from fraud.simulate.ipranges import addresses_in, load_table

Simulation = Any  # fraud.simulate.Simulation, which imports this module

MINUTE, HOUR, DAY = 60, 3600, 86_400
EVENT_STREAM = 13  # mixed into the simulation's seed: the events' own random stream


@dataclass
class Rates:
    """How often each honest behaviour and takeover step happens (probabilities)."""

    honest_typo: float = 0.04  # 1-2 failed logins before the login
    honest_reset: float = 0.02  # a forgotten password reset minutes before ordering
    honest_new_device: float = 0.12  # a device of the customer never logged in before
    honest_address_for_elsewhere: float = 0.5  # an order shipped elsewhere adds its address
    address_added_just_before: float = 0.3  # ... minutes (not days) before ordering
    honest_move: float = 0.03  # per account: a changed address weeks before ordering
    honest_contact_change: float = 0.02  # per account: a new e-mail or phone weeks before
    victim_recovers: float = 0.6  # a takeover's victim resets the password before reordering
    ato_failed_logins: float = 0.35
    ato_password_reset: float = 0.6
    ato_email_change: float = 0.45
    ato_phone_change: float = 0.1
    ato_address_added: float = 0.75  # when the order ships away from the billing address
    ato_quiet: float = 0.15  # a careful takeover: the login only, no change


@dataclass
class _Account:
    home_ip: str
    devices: list[str]
    ua: str | None
    first_t: int
    created: int
    warmed: set[str] = field(default_factory=set)


@dataclass
class _Draft:
    t: int
    type: str
    account: str
    ip: str
    device: str | None
    ua: str | None
    change: dict[str, Any] | None = None


class _Writer:
    """Collects events of one simulation."""

    def __init__(self, sim: Simulation, rates: Rates) -> None:
        self.rng = np.random.default_rng([sim.seed, EVENT_STREAM])
        self.rates = rates
        self.drafts: list[_Draft] = []
        self.nets = load_table()

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def minutes(self, lo: float, hi: float) -> int:
        return int(self.rng.uniform(lo, hi) * MINUTE)

    def add(self, t: int, kind: str, account: str, ip: str, device: str | None,
            ua: str | None, change: dict[str, Any] | None = None) -> None:
        self.drafts.append(_Draft(t, kind, account, ip, device, ua, change))

    def home_ip(self, country: str) -> str:
        rows = self.nets.indices(country, coarse=False)
        if not len(rows):
            rows = self.nets.indices("NL", coarse=False)
        return addresses_in(self.nets, rows[self.rng.integers(0, len(rows), 1)], self.rng)[0]


def _address(row: dict[str, Any], side: str) -> dict[str, Any]:
    return {"street": row[f"{side}_street"], "house_number": row[f"{side}_house"],
            "postal_code": row[f"{side}_postal"], "city": row[f"{side}_city"],
            "country": row[f"{side}_country"], "recipient": row.get(f"{side}_recipient")}


def _ships_elsewhere(row: dict[str, Any]) -> bool:
    return any(row[f"s_{k}"] != row[f"b_{k}"] for k in ("street", "house", "postal", "country"))


def _rows(sim: Simulation) -> Iterator[dict[str, Any]]:
    """The simulation's orders with an account, in time order, as plain dicts."""
    cols = {k: v.tolist() for k, v in sim.block.cols.items()}
    for i in sim.rank.tolist():
        if cols["account_id"][i] is not None:
            yield {k: v[i] for k, v in cols.items()}


def _accounts(w: _Writer, rows: list[dict[str, Any]]) -> dict[str, _Account]:
    """Each account's home (IP, devices, browser) from its own orders, or a made-up home
    in its billing country for an account first seen when taken over."""
    out: dict[str, _Account] = {}
    for row in rows:
        acc = out.get(row["account_id"])
        honest = row["pattern"] != "account_takeover"  # other fraud logs in as itself
        if acc is None:
            ip = row["ip"] if honest else w.home_ip(row["b_country"])
            device = row["device"] if honest and row["device"] else f"D{w.rng.integers(16**11):x}"
            acc = out[row["account_id"]] = _Account(ip, [device], row["ua"] if honest else None,
                                                    row["t"], row["account_created"])
        elif honest and row["device"] and row["device"] not in acc.devices:
            acc.devices.append(row["device"])
    return out


def _warm_up(w: _Writer, account: str, acc: _Account) -> None:
    """Logins from home in the weeks before the account's first order here: what makes
    the usual country and the known devices. Some devices stay new (a new phone)."""
    start = max(acc.created + MINUTE, acc.first_t - 60 * DAY)
    if acc.first_t - acc.created < 45 * MINUTE + DAY:  # a new account: no habits yet
        w.add(acc.created, "account_created", account, acc.home_ip, acc.devices[0], acc.ua)
        return
    keep = [d for i, d in enumerate(acc.devices)
            if i == 0 or not w.chance(w.rates.honest_new_device)]
    span = acc.first_t - DAY - start
    for device in keep:
        for _ in range(int(w.rng.integers(1, 4))):
            t = start + int(w.rng.random() * max(span, MINUTE))
            w.add(t, "login_succeeded", account, acc.home_ip, device, acc.ua)
        acc.warmed.add(device)


def _honest(w: _Writer, row: dict[str, Any], acc: _Account) -> None:
    t, account, r = row["t"], row["account_id"], w.rates
    ip, device, ua = row["ip"], row["device"], row["ua"]
    login = t - w.minutes(1, 40)
    if w.chance(r.honest_typo):
        for k in range(int(w.rng.integers(1, 3))):
            w.add(login - (k + 1) * MINUTE, "login_failed", account, ip, device, ua)
    w.add(login, "login_succeeded", account, ip, device, ua)
    if w.chance(r.honest_reset):
        w.add(login + 20, "password_reset_requested", account, ip, device, ua)
        w.add(min(login + w.minutes(1, 10), t - 30), "password_changed", account, ip, device, ua)
    recovering = row["quirk"] == "victim_reorder" and w.chance(r.victim_recovers)
    if recovering:  # the victim takes the account back, then orders again later
        back = t - int(w.rng.uniform(0.5, 5) * DAY)
        w.add(back, "password_reset_requested", account, acc.home_ip, device, ua)
        w.add(back + w.minutes(2, 15), "password_changed", account, acc.home_ip, device, ua)
    if _ships_elsewhere(row) and w.chance(r.honest_address_for_elsewhere):
        just = w.chance(r.address_added_just_before)
        when = t - (w.minutes(2, 30) if just else int(w.rng.uniform(1, 30) * DAY))
        w.add(when, "address_added", account, ip, device, ua,
              {"address": _address(row, "s")})


def _once_per_account(w: _Writer, row: dict[str, Any], acc: _Account) -> None:
    """A move or a new e-mail or phone, weeks before the first order seen here."""
    account, t = row["account_id"], row["t"]
    if t - acc.created < 9 * DAY:
        return
    if w.chance(w.rates.honest_move):
        when = t - int(w.rng.uniform(7, min(60, (t - acc.created) / DAY - 1)) * DAY)
        w.add(when, "address_changed", account, acc.home_ip, acc.devices[0], acc.ua,
              {"address": _address(row, "b")})
    if w.chance(w.rates.honest_contact_change):
        when = t - int(w.rng.uniform(7, min(60, (t - acc.created) / DAY - 1)) * DAY)
        change = {"email": row["email"]} if row["phone"] is None or w.chance(0.6) else {
            "phone": row["phone"]}
        kind = "email_changed" if "email" in change else "phone_changed"
        w.add(when, kind, account, acc.home_ip, acc.devices[0], acc.ua, change)


def _takeover(w: _Writer, row: dict[str, Any], first_in_session: bool) -> None:
    """The steps that lead to a takeover's order, from the fraudster's IP and device."""
    t, account, r = row["t"], row["account_id"], w.rates
    ip, device, ua = row["ip"], row["device"], row["ua"]
    if not first_in_session:
        w.add(t - w.minutes(1, 20), "login_succeeded", account, ip, device, ua)
        return
    login = t - w.minutes(12, 50)
    if w.chance(r.ato_failed_logins):
        for k in range(int(w.rng.integers(2, 9))):
            w.add(login - (k + 1) * w.minutes(0.5, 3), "login_failed", account, ip, device, ua)
    w.add(login, "login_succeeded", account, ip, device, ua)
    if w.chance(r.ato_quiet):
        return
    step = login
    if w.chance(r.ato_password_reset):
        step += w.minutes(1, 3)
        w.add(step, "password_reset_requested", account, ip, device, ua)
        step += w.minutes(1, 4)
        w.add(step, "password_changed", account, ip, device, ua)
    if w.chance(r.ato_email_change):
        step += w.minutes(0.5, 3)
        local = "".join(chr(97 + c) for c in w.rng.integers(0, 26, 8))
        w.add(step, "email_changed", account, ip, device, ua,
              {"email": f"{local}{w.rng.integers(10, 999)}@protonmail.com"})
    if w.chance(r.ato_phone_change):
        step += w.minutes(0.5, 3)
        w.add(step, "phone_changed", account, ip, device, ua,
              {"phone": f"+4479{w.rng.integers(10**7, 10**8)}"})
    if _ships_elsewhere(row) and w.chance(r.ato_address_added):
        step = max(step + MINUTE, t - w.minutes(2, 10))
        w.add(min(step, t - 30), "address_added", account, ip, device, ua,
              {"address": _address(row, "s")})


def account_events(sim: Simulation, rates: Rates | None = None) -> list[dict[str, Any]]:
    """The simulation's account events as ``POST /v1/events`` bodies, in time order."""
    w = _Writer(sim, rates or Rates())
    rows = list(_rows(sim))
    accounts = _accounts(w, rows)
    for account, acc in accounts.items():
        _warm_up(w, account, acc)
    seen: set[str] = set()
    last_takeover: dict[str, str | None] = {}
    for row in rows:
        account, acc = row["account_id"], accounts[row["account_id"]]
        if account not in seen:
            seen.add(account)
            _once_per_account(w, row, acc)
        if row["pattern"] == "account_takeover":
            _takeover(w, row, last_takeover.get(account) != row["device"])
            last_takeover[account] = row["device"]
        else:
            _honest(w, row, acc)
    return _finish(w.drafts)


def _finish(drafts: list[_Draft]) -> list[dict[str, Any]]:
    drafts.sort(key=lambda d: d.t)
    times = io.iso_times(np.array([d.t for d in drafts], dtype=np.int64)).tolist()
    out = []
    for n, (d, at) in enumerate(zip(drafts, times, strict=True), start=1):
        event: dict[str, Any] = {"event_id": f"E-{n:09d}", "type": d.type,
                                 "account_id": d.account, "occurred_at": at,
                                 "ip_address": d.ip}
        if d.ua is not None:
            event["user_agent"] = d.ua
        if d.device is not None:
            event["device_id"] = d.device
        if d.change is not None:
            event["change"] = d.change
        out.append(event)
    return out


def event_lines(events: list[dict[str, Any]]) -> Iterator[str]:
    for event in events:
        yield json.dumps(event, ensure_ascii=False, separators=(",", ":"))

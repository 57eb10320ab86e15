"""Order simulator: realistic shop traffic with labelled fraud hidden among
honest customers, for the demo, the default model, notebooks and benchmarks.

    >>> from fraud.simulate import simulate
    >>> sim = simulate(20_000, days=90, seed=7)
    >>> sim.write("orders.jsonl.gz"); sim.write_outcomes("outcomes.jsonl.gz")

One shop by default; ``simulate(..., shop=ShopConfig.random(seed))`` simulates
another of the family (see :mod:`fraud.simulate.shop`), and
:mod:`fraud.simulate.family` several at once.

Each order is exactly the JSON of :class:`fraud.schema.Order`. Labels come as
separate, later outcome events (as they would in production); the ground truth
(pattern, honest quirk) is written apart, for evaluation only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from fraud.simulate import io, jsonlines, patterns, repeat
from fraud.simulate.catalogue import Catalogue, catalogue
from fraud.simulate.draw import Run
from fraud.simulate.io import FORMATS, read_orders, read_outcomes, read_truth
from fraud.simulate.ipranges import load_table
from fraud.simulate.outcomes import labels_as_of, outcome_events
from fraud.simulate.population import make_population
from fraud.simulate.rates import LATER_PATTERNS, PATTERNS, QUIRKS, Rates
from fraud.simulate.shop import FraudStyle, ShopConfig, random_shop
from fraud.simulate.table import Block, concat, group_lines
from fraud.simulate.traffic import filler_orders, honest_block, victim_reorders

__all__ = ["PATTERNS", "QUIRKS", "DEFAULT_START", "FORMATS", "FraudStyle", "Rates",
           "ShopConfig", "Simulation", "simulate", "random_shop", "read_orders", "read_outcomes",
           "read_truth", "labels_as_of"]

SHOP_TZ = ZoneInfo("Europe/Amsterdam")
DEFAULT_START = datetime(2025, 9, 1, tzinfo=SHOP_TZ)
_FEES = {"standard": 495, "express": 995, "pickup_point": 395, "store_pickup": 0}
_FREE_FROM = 5000  # free standard and pick-up shipping from 50 EUR
_ONLINE_METHODS = ("card", "paypal", "klarna", "apple_pay", "google_pay")


@dataclass
class Simulation:
    """Generated orders (in time order), their outcome events and ground truth."""

    block: Block  # rows in generation order; ``rank`` lists them in time order
    rank: np.ndarray
    order_id: np.ndarray  # per block row
    amount_cents: np.ndarray
    outcomes: pd.DataFrame  # order_id, outcome, at (ISO text)
    seed: int
    start: datetime
    days: int
    rates: Rates
    shop: ShopConfig = field(default_factory=ShopConfig)
    cat: Catalogue = field(default_factory=catalogue)

    def __len__(self) -> int:
        return self.block.n

    def orders(self) -> Iterator[dict]:
        """Each order as a dict that validates as :class:`fraud.schema.Order` (JSON mode)."""
        c = self.block.cols
        cat = self.cat
        price = io.cents_text(cat.price_cents)
        category = [cat.categories[i] for i in cat.category.tolist()]
        sku = cat.sku.tolist()
        created = io.iso_times(c["t"])
        acc_created = io.iso_times(np.maximum(c["account_created"], 0))
        amount = io.cents_text(self.amount_cents)
        bounds = np.searchsorted(self.block.item_row, np.arange(self.block.n + 1)).tolist()
        item_sku, item_qty = self.block.item_sku.tolist(), self.block.item_qty.tolist()
        cols = {k: v.tolist() for k, v in c.items()}
        oids = self.order_id.tolist()
        for i in self.rank.tolist():
            oid = oids[i]
            customer = {"name": cols["name"][i], "email": cols["email"][i]}
            if cols["account_id"][i] is not None:
                customer["account_id"] = cols["account_id"][i]
                customer["account_created_at"] = acc_created[i]
            if cols["phone"][i] is not None:
                customer["phone"] = cols["phone"][i]
            shipping = {"street": cols["s_street"][i], "house_number": cols["s_house"][i],
                        "postal_code": cols["s_postal"][i], "city": cols["s_city"][i],
                        "country": cols["s_country"][i]}
            if cols["s_recipient"][i] is not None:
                shipping["recipient"] = cols["s_recipient"][i]
            payment = {"method": cols["method"][i], "amount": amount[i], "currency": "EUR"}
            if cols["card_bin"][i] is not None:
                payment["card_bin"] = cols["card_bin"][i]
                payment["card_last4"] = cols["card_last4"][i]
                payment["card_country"] = cols["card_country"][i]
                payment["three_ds"] = cols["three_ds"][i]
            order = {
                "order_id": oid,
                "created_at": created[i],
                "customer": customer,
                "billing_address": {"street": cols["b_street"][i],
                                    "house_number": cols["b_house"][i],
                                    "postal_code": cols["b_postal"][i],
                                    "city": cols["b_city"][i], "country": cols["b_country"][i]},
                "shipping_address": shipping,
                "ip_address": cols["ip"][i],
                "user_agent": cols["ua"][i],
                "payment": payment,
                "items": [{"sku": sku[s], "category": category[s], "unit_price": price[s],
                           "quantity": q}
                          for s, q in zip(item_sku[bounds[i]:bounds[i + 1]],
                                          item_qty[bounds[i]:bounds[i + 1]], strict=True)],
                "shipping_method": cols["ship"][i],
            }
            if cols["device"][i] is not None:
                order["device_id"] = cols["device"][i]
            yield order

    def order_lines(self) -> Iterator[str]:
        """The same orders as :meth:`orders`, as JSON text (without the newline)."""
        lines = jsonlines.order_lines(self)
        for start in range(0, len(lines), 50_000):
            for line in lines.slice(start, 50_000).to_pylist():
                yield line[:-1]

    def truth(self) -> pd.DataFrame:
        """order_id, is_fraud, pattern ('none' when honest), honest_quirk ('none' when plain)."""
        pattern = self.block.cols["pattern"][self.rank]
        return pd.DataFrame({"order_id": self.order_id[self.rank], "is_fraud": pattern != "none",
                             "pattern": pattern,
                             "honest_quirk": self.block.cols["quirk"][self.rank]})

    def write(self, path: str | Path, fmt: str | None = None) -> int:
        """Write the orders as JSONL (.gz ok), Parquet or CSV; returns the count."""
        path = Path(path)
        fmt = fmt or io.detect_format(path)
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        if fmt == "jsonl":
            return jsonlines.write(jsonlines.order_lines(self), path)
        return io.write_table(self.orders(), path, fmt)

    def write_outcomes(self, path: str | Path) -> int:
        """Outcome events, one JSON object a line, in time order."""
        o = self.outcomes
        lines = (f'{{"order_id":"{a}","outcome":"{b}","at":"{c}"}}' for a, b, c in zip(
            o["order_id"].to_numpy().tolist(), o["outcome"].to_numpy().tolist(),
            o["at"].to_numpy().tolist(), strict=True))
        return io.write_lines(lines, Path(path))

    def account_events(self) -> list[dict]:
        """The logins and account changes around the orders, as ``POST /v1/events``
        bodies in time order (:mod:`fraud.simulate.account_events`)."""
        from fraud.simulate.account_events import account_events

        return account_events(self)

    def write_events(self, path: str | Path) -> int:
        """Account events, one JSON object a line, in time order; returns the count."""
        from fraud.simulate.account_events import event_lines

        return io.write_lines(event_lines(self.account_events()), Path(path))

    def write_truth(self, path: str | Path) -> None:
        """Ground truth as CSV (.gz ok)."""
        c = self.block.cols
        rows = zip(self.order_id[self.rank].tolist(),
                   (c["pattern"][self.rank] != "none").astype(int).tolist(),
                   c["pattern"][self.rank].tolist(), c["quirk"][self.rank].tolist(), strict=True)
        io.write_csv_rows(rows, ("order_id", "is_fraud", "pattern", "honest_quirk"), Path(path))

    def pattern_table(self) -> pd.DataFrame:
        """Measured share of orders per fraud pattern and honest quirk, and the configured rate."""
        truth = self.truth()
        n = len(truth)
        honest = int((~truth["is_fraud"]).sum()) + int((truth["pattern"] == "friendly_fraud").sum())
        rows = []
        for p in PATTERNS:
            rows.append(("fraud", p, getattr(self.rates, p), (truth["pattern"] == p).sum() / n))
        for q in QUIRKS:
            rows.append(("honest quirk", q, getattr(self.rates, q),
                         (truth["honest_quirk"] == q).sum() / max(honest, 1)))
        return pd.DataFrame(rows, columns=["kind", "name", "configured", "measured"])


def simulate(n_orders: int, days: int = 90, seed: int = 0,
             start: datetime | date | str | None = None,
             rates: Rates | dict | None = None,
             shop: ShopConfig | None = None) -> Simulation:
    """Generate ``n_orders`` orders over ``days`` days from ``start``; the same seed (and
    shop) gives the same orders. ``shop`` is the shop simulated (default:
    :meth:`ShopConfig.default`, or :func:`random_shop` for another of the family);
    ``rates`` overrides its pattern and quirk rates by name (see :class:`Rates`)."""
    if n_orders < 1 or days < 1:
        raise ValueError("n_orders and days must be at least 1")
    shop = shop or ShopConfig.default()
    rates = _rates(shop.rates, rates)
    shop = replace(shop, rates=rates)
    start_dt = _start(start)
    rng = np.random.default_rng(seed)
    counts = {p: int(rng.binomial(n_orders, getattr(rates, p))) if p not in LATER_PATTERNS
              or getattr(rates, p) > 0 else 0 for p in PATTERNS}
    n_honest = n_orders - sum(v for p, v in counts.items() if p != "friendly_fraud")
    n_reserved = int(n_honest * rates.new_account_big_order * 1.3) + 20
    n_regular = max(200, int(n_honest * 0.6))
    n_victim = int(rng.binomial(n_honest, rates.victim_reorder)) if rates.victim_reorder else 0
    pop = make_population(rng, n_regular + n_reserved, load_table(), shop.countries,
                          shop.payment_mix, shop.account_share)
    cat = catalogue().scaled(shop.price_scale)
    run = Run(rng=rng, pop=pop, nets=load_table(), cat=cat,
              start=int(start_dt.timestamp()), start_weekday=start_dt.weekday(), days=days,
              next_account=100_000 + len(pop), shop=shop)
    honest = honest_block(run, n_honest - n_victim, rates, np.arange(n_regular, len(pop)))
    _friendly(run, honest, counts["friendly_fraud"])
    blocks = [honest] + [getattr(patterns, p)(run, counts[p]) for p in PATTERNS
                         if p not in ("friendly_fraud", *LATER_PATTERNS) and counts[p]]
    if counts["address_burst"]:
        blocks.append(repeat.address_burst(run, counts["address_burst"]))
    if n_victim:
        blocks.append(victim_reorders(run, n_victim))
    block = concat(blocks)
    events = outcome_events(rng, block.cols["t"], block.cols["pattern"], block.cols["method"])
    if counts["reused_contact"]:
        block, events = _reused_contact(run, counts["reused_contact"], block, events)
    block = group_lines(block)
    rank = np.argsort(block.cols["t"], kind="stable")
    order_id = np.empty(block.n, dtype=object)
    order_id[rank] = [f"O-{i:08d}" for i in range(1, block.n + 1)]
    amount = _amounts(block, cat)
    outcomes = pd.DataFrame({"order_id": order_id[events["row"].to_numpy()],
                             "outcome": events["outcome"],
                             "at": io.iso_times(events["at"].to_numpy())})
    return Simulation(block, rank, order_id, amount, outcomes, seed, start_dt, days, rates,
                      shop, cat)


def _rates(base: Rates, overrides: Rates | dict | None) -> Rates:
    """The shop's rates with ``overrides`` (a whole :class:`Rates`, or some by name)."""
    if overrides is None:
        return base
    if isinstance(overrides, Rates):
        return overrides
    Rates.of(overrides)  # refuses unknown names
    return replace(base, **{k: float(v) for k, v in overrides.items()})


def _reused_contact(run: Run, k: int, block: Block, events: pd.DataFrame
                    ) -> tuple[Block, pd.DataFrame]:
    """Add fraud that reuses a charged-back order's contact, once those chargebacks exist."""
    cb = events[events["outcome"] == "chargeback"]
    chargeback_at = np.full(block.n, -1, dtype=np.int64)
    chargeback_at[cb["row"].to_numpy()] = cb["at"].to_numpy()
    extra = repeat.reused_contact(run, k, block, chargeback_at)
    if extra.n < k:  # no earlier fraud to come back from: plain orders keep the count
        extra = concat([extra, filler_orders(run, k - extra.n)])
    more = outcome_events(run.rng, extra.cols["t"], extra.cols["pattern"], extra.cols["method"])
    more["row"] += block.n
    merged = pd.concat([events, more], ignore_index=True)
    merged = merged.sort_values(["at", "row"], kind="stable").reset_index(drop=True)
    return concat([block, extra]), merged


def _start(start: datetime | date | str | None) -> datetime:
    """Local midnight of the first day (the shop's time zone unless one is given)."""
    if start is None:
        return DEFAULT_START
    if isinstance(start, str):
        start = datetime.fromisoformat(start)
    if not isinstance(start, datetime):
        start = datetime(start.year, start.month, start.day)
    if start.tzinfo is None:
        start = start.replace(tzinfo=SHOP_TZ)
    return start.replace(hour=0, minute=0, second=0, microsecond=0)


def _friendly(run: Run, honest: Block, k: int) -> None:
    """Friendly fraud: ordinary orders by genuine customers who later dispute the charge."""
    c = honest.cols
    online = np.zeros(honest.n, dtype=bool)
    for method in _ONLINE_METHODS:
        online |= c["method"] == method
    eligible = np.flatnonzero((c["quirk"] == "none") & online)
    chosen = run.rng.choice(eligible, min(k, len(eligible)), replace=False)
    c["pattern"][chosen] = "friendly_fraud"


def _amounts(block: Block, cat: Catalogue) -> np.ndarray:
    """Basket total plus the shipping fee, in cents."""
    line = cat.price_cents[block.item_sku] * block.item_qty
    subtotal = np.bincount(block.item_row, weights=line, minlength=block.n).astype(np.int64)
    ship = block.cols["ship"]
    fee = np.array([_FEES[s] for s in ship.tolist()], dtype=np.int64)
    free = (subtotal >= _FREE_FROM) & ((ship == "standard") | (ship == "pickup_point"))
    return subtotal + np.where(free, 0, fee)

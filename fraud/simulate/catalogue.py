"""The shop's parts catalogue: categories, SKUs and prices, and baskets drawn from it.

The catalogue is the same for every run (its own fixed seed), so a SKU always
has the same price and category, as in a real shop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

# (category, sku prefix, [(subtype, low EUR, high EUR)], resale value, quantity weights for 1,2,3,4)
_Subtypes = tuple[tuple[str, float, float], ...]
_CATEGORIES: tuple[tuple[str, str, _Subtypes, bool, tuple[float, ...]], ...] = (
    ("brakes", "BRK", (("PAD", 22, 95), ("DSC", 35, 190), ("CAL", 60, 260)), False, (70, 28, 0, 2)),
    ("filters", "FLT", (("OIL", 6, 25), ("AIR", 10, 42), ("CAB", 10, 38), ("FUE", 12, 65)),
     False, (80, 15, 2, 3)),
    ("oil", "OIL", (("5W30", 25, 75), ("5W40", 25, 70), ("0W20", 30, 85)), False, (75, 20, 3, 2)),
    ("wipers", "WIP", (("BLD", 8, 38),), False, (55, 43, 1, 1)),
    ("lighting", "LGT", (("H7B", 5, 30), ("LED", 18, 95)), False, (50, 40, 2, 8)),
    ("headlights", "HDL", (("ASM", 120, 950),), True, (85, 15, 0, 0)),
    ("batteries", "BAT", (("AGM", 110, 290), ("STD", 65, 160)), False, (97, 3, 0, 0)),
    ("tyres", "TYR", (("SUM", 55, 240), ("WIN", 60, 260), ("ALL", 60, 250)), False, (5, 35, 0, 60)),
    ("alloy_wheels", "WHL", (("ALU", 90, 480),), True, (10, 10, 0, 80)),
    ("exhaust", "EXH", (("MUF", 40, 260), ("PIP", 20, 120)), False, (90, 10, 0, 0)),
    ("catalytic_converters", "CAT", (("CNV", 180, 1250),), True, (98, 2, 0, 0)),
    ("turbochargers", "TRB", (("TRB", 350, 1850),), True, (99, 1, 0, 0)),
    ("ecu", "ECU", (("ECU", 250, 1500),), True, (99, 1, 0, 0)),
    ("navigation", "NAV", (("GPS", 150, 950),), True, (97, 3, 0, 0)),
    ("infotainment", "INF", (("HDU", 160, 1250), ("CAM", 60, 300)), True, (97, 3, 0, 0)),
    ("diagnostic_tools", "DGN", (("OBD", 30, 250), ("PRO", 300, 1400)), True, (95, 5, 0, 0)),
    ("suspension", "SUS", (("SHK", 40, 210), ("SPR", 25, 95), ("ARM", 30, 160)),
     False, (35, 60, 0, 5)),
    ("clutch", "CLT", (("KIT", 90, 480), ("FLY", 180, 650)), False, (100, 0, 0, 0)),
    ("engine_parts", "ENG", (("TBK", 60, 260), ("WPM", 30, 150), ("SPK", 5, 22), ("GSK", 10, 85),
                             ("ENG", 1200, 4600)), False, (70, 8, 2, 20)),
    ("body_parts", "BDY", (("MIR", 30, 260), ("BMP", 90, 480), ("GRL", 30, 210)), False,
     (92, 8, 0, 0)),
    ("accessories", "ACC", (("MAT", 15, 85), ("CHG", 9, 45), ("CLN", 5, 30)), False,
     (75, 18, 2, 5)),
)
_SKUS_PER_SUBTYPE = 40

# How often each category appears in an honest basket line (relative).
HONEST_MIX = {
    "filters": 14, "brakes": 14, "oil": 9, "wipers": 8, "lighting": 8, "accessories": 8,
    "engine_parts": 8, "suspension": 6, "batteries": 5, "tyres": 4, "body_parts": 4,
    "exhaust": 3, "clutch": 2, "headlights": 1.5, "diagnostic_tools": 1.5, "alloy_wheels": 1,
    "catalytic_converters": 0.8, "navigation": 0.6, "infotainment": 0.6, "turbochargers": 0.5,
    "ecu": 0.5,
}
# Parts that sell on quickly second-hand: what stolen cards buy.
RESALE_MIX = {
    "ecu": 10, "navigation": 12, "infotainment": 12, "diagnostic_tools": 12, "turbochargers": 10,
    "headlights": 10, "alloy_wheels": 8, "catalytic_converters": 10, "tyres": 4, "batteries": 3,
    "brakes": 4, "filters": 2, "engine_parts": 3,
}
# Cheap lines for card testing.
CHEAP_MIX = {"wipers": 30, "lighting": 30, "filters": 20, "accessories": 40}
# A car repair: what a workshop or a first-time big customer buys.
REPAIR_MIX = {"engine_parts": 20, "clutch": 15, "turbochargers": 8, "brakes": 15,
              "suspension": 12, "exhaust": 8, "catalytic_converters": 5, "filters": 10,
              "oil": 7}


@dataclass(frozen=True)
class Catalogue:
    """SKUs sorted by category; ``first[c]:first[c]+count[c]`` are category ``c``'s SKUs."""

    categories: tuple[str, ...]
    sku: np.ndarray
    category: np.ndarray  # index into categories, per SKU
    price_cents: np.ndarray
    first: np.ndarray
    count: np.ndarray
    qty_cum: np.ndarray  # cumulative quantity probabilities (1, 2, 3, 4) per category
    resale: np.ndarray  # per category

    def mix(self, weights: dict[str, float]) -> np.ndarray:
        """Category probabilities from relative weights by name."""
        p = np.array([weights.get(c, 0.0) for c in self.categories], dtype=float)
        return p / p.sum()

    def scaled(self, factor: float) -> Catalogue:
        """The same SKUs at prices times ``factor``, keeping their .99/.95/.90 endings."""
        if factor == 1:
            return self
        ending = 100 - self.price_cents % 100
        euros = np.maximum(np.round(self.price_cents * factor / 100), 1).astype(np.int64)
        return replace(self, price_cents=np.maximum(euros * 100 - ending, 99))

    def basket(self, rng: np.random.Generator, order_rows: np.ndarray, mix: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One line per entry of ``order_rows``: (order row, sku index, quantity)."""
        cats = rng.choice(len(self.categories), size=len(order_rows), p=mix)
        skus = self.first[cats] + (rng.random(len(cats)) * self.count[cats]).astype(np.int64)
        u = rng.random(len(cats))
        qty = 1 + (u[:, None] > self.qty_cum[cats]).sum(axis=1)
        return order_rows, skus, np.minimum(qty, 4)


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The fixed catalogue (1,840 SKUs)."""
    rng = np.random.default_rng(20_24)
    skus, cats, prices, first, count, qty, resale = [], [], [], [], [], [], []
    for ci, (_name, prefix, subtypes, is_resale, qty_weights) in enumerate(_CATEGORIES):
        first.append(len(skus))
        for sub, low, high in subtypes:
            numbers = rng.choice(np.arange(1000, 10000), size=_SKUS_PER_SUBTYPE, replace=False)
            # log-uniform: many cheap variants, a few premium ones
            euros = np.exp(rng.uniform(np.log(low), np.log(high), _SKUS_PER_SUBTYPE))
            cents = (np.round(euros) * 100 - rng.choice([1, 5, 10], _SKUS_PER_SUBTYPE)).astype(int)
            for number, price in zip(numbers, cents, strict=True):
                skus.append(f"{prefix}-{sub}-{number}")
                cats.append(ci)
                prices.append(max(int(price), 99))
        count.append(len(skus) - first[-1])
        w = np.array(qty_weights, dtype=float)
        qty.append(np.cumsum(w / w.sum()))
        resale.append(is_resale)
    return Catalogue(
        categories=tuple(c[0] for c in _CATEGORIES),
        sku=np.array(skus, dtype=object),
        category=np.array(cats),
        price_cents=np.array(prices, dtype=np.int64),
        first=np.array(first),
        count=np.array(count),
        qty_cum=np.array(qty),
        resale=np.array(resale),
    )

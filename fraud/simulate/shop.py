"""Which shop is simulated: a family of shops rather than one.

A :class:`ShopConfig` holds everything that differs between two web shops
selling car parts: where their customers live, what they buy and at what
prices, how they pay, how many check out as guests, how often each fraud
pattern and honest quirk happens, and how the local fraudsters work
(:class:`FraudStyle`). ``ShopConfig.default()`` is the shop the project was
built on (its output is pinned byte for byte); ``ShopConfig.random(seed)``
draws another member of the family, so that a model can be trained on some
shops and judged on one it never saw.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config

from fraud.simulate import world
from fraud.simulate.catalogue import HONEST_MIX
from fraud.simulate.population import PAYMENT_MIX
from fraud.simulate.rates import PATTERNS, QUIRKS, Rates

FRAUD_HOMES = ("NL", "BE", "DE", "FR")
"""Countries whose identities and addresses fraudsters use (the shop's main markets)."""


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class FraudStyle:
    """How this shop's fraudsters carry out their patterns.

    ``None`` keeps each pattern's own built-in habit (the default shop's).

    * ``ip_mix``: shares of (foreign IP, residential proxy in the victim's
      country, VPN) for stolen cards, reshippers and card testing; the rest
      order from the victim's own country. Account takeovers come from abroad
      with the foreign plus VPN share.
    * ``account_share``: stolen-card and reshipper orders placed from an account
      (the rest check out as guests).
    * ``aged_accounts``: of those accounts, the share that look years old
      (bought or farmed accounts) instead of opened minutes or days before.
    * ``drop_shipping``: stolen-card orders shipped to a drop, a neighbour
      country or a forwarder rather than to the billing (victim's) address.
    * ``victim_card``: stolen-card orders paid with the victim's own card
      number (the same BIN and last four the victim uses), so the victim's
      later honest orders share the card with the fraud.
    """

    ip_mix: tuple[float, float, float] | None = None
    account_share: float | None = None
    aged_accounts: float = 0.0
    drop_shipping: float | None = None
    victim_card: float = 0.0

    def __post_init__(self) -> None:
        if self.ip_mix is not None:
            if len(self.ip_mix) != 3 or min(self.ip_mix) < 0 or sum(self.ip_mix) > 1:
                raise ValueError(f"ip_mix {self.ip_mix!r}: three shares summing to at most 1")
            object.__setattr__(self, "ip_mix", tuple(float(x) for x in self.ip_mix))
        for name in ("account_share", "aged_accounts", "drop_shipping", "victim_card"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"fraud style {name}={value!r} must be in [0, 1]")

    def ips(self, foreign: float, proxy: float, vpn: float) -> tuple[float, float, float]:
        """The (foreign, proxy, vpn) mix to use where a pattern's own habit is given."""
        return self.ip_mix if self.ip_mix is not None else (foreign, proxy, vpn)


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class ShopConfig:
    """One shop of the family. Frozen; build variants with :func:`dataclasses.replace`.

    Mappings are relative weights (they need not sum to one). ``payment_mix`` is
    by customer country, ``"*"`` for the others. ``nat_customers_per_ip``,
    ``office_size`` and ``pickup_customers`` say how many customers share one
    carrier-NAT address, one office network and one busy pick-up point.
    """

    name: str = "default"
    countries: dict[str, float] = field(default_factory=lambda: dict(world.CUSTOMER_COUNTRIES))
    fraud_homes: dict[str, float] = field(
        default_factory=lambda: {"NL": 40.0, "BE": 20.0, "DE": 25.0, "FR": 15.0})
    payment_mix: dict[str, dict[str, float]] = field(
        default_factory=lambda: {c: dict(m) for c, m in PAYMENT_MIX.items()})
    category_mix: dict[str, float] = field(default_factory=lambda: dict(HONEST_MIX))
    price_scale: float = 1.0
    basket_extra: float = 0.6
    account_share: float = 0.78
    rates: Rates = field(default_factory=Rates)
    style: FraudStyle = field(default_factory=FraudStyle)
    nat_customers_per_ip: int = 25
    office_size: int = 12
    pickup_customers: int = 40

    def __post_init__(self) -> None:
        unknown = sorted(set(self.countries) - set(world.CUSTOMER_COUNTRIES))
        if unknown:
            raise ValueError(f"countries {unknown} have no address data; "
                             f"known: {sorted(world.CUSTOMER_COUNTRIES)}")
        if set(self.fraud_homes) - set(FRAUD_HOMES):
            raise ValueError(f"fraud_homes must be among {FRAUD_HOMES}")
        if "*" not in self.payment_mix:
            raise ValueError("payment_mix needs a '*' entry for the other countries")
        unknown = sorted(set(self.category_mix) - set(HONEST_MIX))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {sorted(HONEST_MIX)}")
        for name, mapping in (("countries", self.countries), ("fraud_homes", self.fraud_homes),
                              ("category_mix", self.category_mix)):
            if not mapping or min(mapping.values()) < 0 or sum(mapping.values()) <= 0:
                raise ValueError(f"{name}: weights must be non-negative with a positive sum")
        if not 0 < self.price_scale <= 10:
            raise ValueError(f"price_scale {self.price_scale!r} must be in (0, 10]")
        if not 0 <= self.basket_extra <= 5:
            raise ValueError(f"basket_extra {self.basket_extra!r} must be in [0, 5]")
        if not 0 <= self.account_share <= 1:
            raise ValueError(f"account_share {self.account_share!r} must be in [0, 1]")
        for name in ("nat_customers_per_ip", "office_size", "pickup_customers"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be at least 2 (it is a key that customers share)")

    @classmethod
    def default(cls) -> ShopConfig:
        """The shop the project was built on; ``simulate`` without a shop uses it."""
        return cls()

    @classmethod
    def random(cls, seed: int) -> ShopConfig:
        """Another shop of the family, drawn from ``seed`` (the same seed, the same shop)."""
        return random_shop(seed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``from_dict`` reads it back)."""
        out = asdict(self)
        out["style"]["ip_mix"] = list(self.style.ip_mix) if self.style.ip_mix else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShopConfig:
        """A shop from JSON-like data; missing settings are the default shop's. Raises
        ``ValueError`` naming each bad or unknown setting and why."""
        try:
            return _ADAPTER.validate_python(data)
        except ValidationError as exc:
            raise ValueError(_describe(exc)) from None

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> ShopConfig:
        """A shop from a JSON file as :meth:`write` makes it (missing keys: the default's)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: line {exc.lineno}: {exc.msg}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a shop is a JSON object")
        try:
            return cls.from_dict(data)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None

    def summary(self) -> str:
        """One line for logs: the numbers that most change what the traffic looks like."""
        top = sorted(self.countries.items(), key=lambda kv: -kv[1])[:3]
        total = sum(self.countries.values())
        mix = ", ".join(f"{c} {w / total:.0%}" for c, w in top)
        return (f"shop {self.name}: {mix}; prices x{self.price_scale:.2f}; "
                f"guests {1 - self.account_share:.0%}; fraud {self.rates.fraud_total():.2%}")


_ADAPTER = TypeAdapter(ShopConfig)


def _describe(exc: ValidationError) -> str:
    """'price_scale: Input should be a valid number; foo: unknown setting'."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(x) for x in error["loc"]) or "shop"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "unexpected_keyword_argument":
            message = "unknown setting"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


# --- drawing a shop ----------------------------------------------------------------------------

# Rates of the honest quirks the default shop does not have (shares of honest orders).
_NEW_QUIRKS = {"carrier_nat": (0.02, 0.10), "office_network": (0.005, 0.03),
               "household_device": (0.01, 0.05), "shared_pickup_point": (0.01, 0.06)}
_NEW_PATTERNS = {"reused_contact": (0.0008, 0.003), "address_burst": (0.0008, 0.003)}


def _jitter(rng: np.random.Generator, weights: dict[str, float], sigma: float) -> dict[str, float]:
    """The same keys, each weight times a log-normal factor (rounded to keep the JSON short)."""
    factors = rng.lognormal(0.0, sigma, len(weights))
    return {k: round(float(w * f), 4) for (k, w), f in zip(weights.items(), factors, strict=True)}


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def random_shop(seed: int) -> ShopConfig:
    """A shop drawn from ``seed``: markets, basket, payments, guests, rates and fraud style."""
    rng = np.random.default_rng([7_919, seed])
    base = ShopConfig()
    countries = _jitter(rng, base.countries, 0.8)
    # many shops sell mostly in one country: give one main market a boost
    main = str(rng.choice(FRAUD_HOMES))
    countries[main] = round(countries[main] * float(rng.uniform(1.0, 4.0)), 4)
    homes = {c: countries[c] for c in FRAUD_HOMES}
    payment = {c: _jitter(rng, m, 0.5) for c, m in base.payment_mix.items()}
    categories = _jitter(rng, base.category_mix, 0.6)
    # x0.2-2 keeps the median shop near the default's 1.9 % fraud (5-95 %: 1.2-2.6 %)
    fraud = {p: getattr(base.rates, p) * _log_uniform(rng, 0.2, 2.0) for p in PATTERNS
             if p not in _NEW_PATTERNS}
    fraud.update({p: float(rng.uniform(*r)) for p, r in _NEW_PATTERNS.items()})
    quirks = {q: getattr(base.rates, q) * _log_uniform(rng, 0.5, 2.0) for q in QUIRKS
              if q not in _NEW_QUIRKS and q != "victim_reorder"}
    quirks.update({q: float(rng.uniform(*r)) for q, r in _NEW_QUIRKS.items()})
    # each victim of a stolen card or a takeover orders again about once or twice
    victims = fraud["stolen_card"] + fraud["account_takeover"]
    quirks["victim_reorder"] = float(victims * rng.uniform(0.5, 1.5))
    foreign = float(rng.uniform(0.1, 0.7))
    proxy = float(rng.uniform(0.1, 0.85 - foreign)) if foreign < 0.75 else 0.05
    vpn = float(rng.uniform(0.0, min(0.2, 0.95 - foreign - proxy)))
    style = FraudStyle(
        ip_mix=(round(foreign, 3), round(proxy, 3), round(vpn, 3)),
        account_share=round(float(rng.uniform(0.1, 0.8)), 3),
        aged_accounts=round(float(rng.uniform(0.0, 0.8)), 3),
        drop_shipping=round(float(rng.uniform(0.2, 0.9)), 3),
        victim_card=round(float(rng.uniform(0.5, 1.0)), 3),
    )
    rates = Rates.of({k: round(v, 5) for k, v in {**fraud, **quirks}.items()})
    return ShopConfig(
        name=f"random-{seed}", countries=countries, fraud_homes=homes, payment_mix=payment,
        category_mix=categories, price_scale=round(_log_uniform(rng, 0.6, 1.8), 3),
        basket_extra=round(float(rng.uniform(0.3, 1.2)), 3),
        account_share=round(float(rng.uniform(0.45, 0.95)), 3), rates=rates, style=style,
        nat_customers_per_ip=int(rng.integers(10, 60)), office_size=int(rng.integers(5, 30)),
        pickup_customers=int(rng.integers(20, 80)),
    )


def resolve(shop: ShopConfig | str | Path | None, seed: int = 0) -> ShopConfig:
    """A shop from ``None``/"default", "random" (drawn from ``seed``) or a JSON file's path."""
    if shop is None or shop == "default":
        return ShopConfig.default()
    if isinstance(shop, ShopConfig):
        return shop
    if shop == "random":
        return random_shop(seed)
    path = Path(shop)
    if not path.exists():
        raise ValueError(f"shop {str(shop)!r}: use 'default', 'random' or a JSON file "
                         "(no such file)")
    return ShopConfig.read(path)

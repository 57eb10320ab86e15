"""How often each fraud pattern and each honest-but-odd behaviour happens."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from pydantic import ConfigDict, with_config

PATTERNS = ("stolen_card", "account_takeover", "reshipper", "card_testing", "fraud_ring",
            "friendly_fraud", "reused_contact", "address_burst")
QUIRKS = ("travel_abroad", "company_vpn", "mobile_ip", "workshop_shipping", "pickup_point",
          "gift", "new_account_big_order", "cross_border", "foreign_card", "honest_forwarder",
          "automation_ua", "carrier_nat", "office_network", "household_device",
          "shared_pickup_point", "victim_reorder")
# The default shop was built before these existed; at rate 0 they draw no random
# numbers at all, so its output stays byte for byte what it was.
LATER_PATTERNS = ("reused_contact", "address_burst")


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class Rates:
    """Fraud patterns as a share of all orders; quirks as a share of honest orders."""

    stolen_card: float = 0.0055
    account_takeover: float = 0.0020
    reshipper: float = 0.0020
    card_testing: float = 0.0035
    fraud_ring: float = 0.0025
    friendly_fraud: float = 0.0035
    reused_contact: float = 0.0
    address_burst: float = 0.0
    travel_abroad: float = 0.015
    company_vpn: float = 0.010
    mobile_ip: float = 0.080
    workshop_shipping: float = 0.025
    pickup_point: float = 0.050
    gift: float = 0.012
    new_account_big_order: float = 0.008
    cross_border: float = 0.020
    foreign_card: float = 0.012
    honest_forwarder: float = 0.0015
    automation_ua: float = 0.0005
    carrier_nat: float = 0.0
    office_network: float = 0.0
    household_device: float = 0.0
    shared_pickup_point: float = 0.0
    victim_reorder: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0 <= value < 1:
                raise ValueError(f"rate {f.name}={value!r} must be in [0, 1)")
        if self.fraud_total() >= 0.5 or self.quirk_total() >= 1:
            raise ValueError("fraud rates must sum below 0.5 and quirk rates below 1")

    def fraud_total(self) -> float:
        return sum(getattr(self, p) for p in PATTERNS)

    def quirk_total(self) -> float:
        return sum(getattr(self, q) for q in QUIRKS)

    @classmethod
    def of(cls, rates: Rates | dict[str, Any] | None) -> Rates:
        """Rates from ``None`` (defaults), a ``Rates`` or a dict of overrides by name."""
        if rates is None:
            return cls()
        if isinstance(rates, Rates):
            return rates
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(rates) - known)
        if unknown:
            raise ValueError(f"unknown rate(s) {unknown}; known: {sorted(known)}")
        return replace(cls(), **{k: float(v) for k, v in rates.items()})

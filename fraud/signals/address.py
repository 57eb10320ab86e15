"""Address signal: billing vs shipping, postal code validity and consistency, and
shipping to a parcel forwarder, pick-up point or P.O. box."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from fraud.domain import Feature, FeatureValue
from fraud.errors import ConfigError
from fraud.geo import haversine_km
from fraud.keys import address_key, fold, normalise_street
from fraud.places import locate_address, postal_city_consistent, postal_code_valid, postal_key
from fraud.schema import Address, Order, ShippingMethod
from fraud.signals import Context, Signal

FEATURES: tuple[Feature, ...] = (
    Feature("billing_country", "cat", "Country of the billing address."),
    Feature("shipping_country", "cat", "Country of the shipping address."),
    Feature("billing_city", "text", "City of the billing address, as the customer typed it."),
    Feature("shipping_city", "text", "City of the shipping address, as the customer typed it."),
    Feature(
        "shipping_differs_from_billing",
        "bool",
        "The parcel goes to another address than the billing address.",
    ),
    Feature(
        "shipping_country_differs_from_billing",
        "bool",
        "The parcel goes to another country than the billing address.",
    ),
    Feature(
        "billing_postal_code_valid",
        "bool",
        "The billing postal code has the format used in the billing country.",
    ),
    Feature(
        "shipping_postal_code_valid",
        "bool",
        "The shipping postal code has the format used in the shipping country.",
    ),
    Feature(
        "billing_postal_city_consistent",
        "bool",
        "The billing city is where the billing postal code is (unknown when the postal "
        "data cannot tell).",
    ),
    Feature(
        "shipping_postal_city_consistent",
        "bool",
        "The shipping city is where the shipping postal code is (unknown when the postal "
        "data cannot tell).",
    ),
    Feature(
        "shipping_is_forwarder",
        "bool",
        "The shipping address is a known parcel forwarder or reshipping service, which hides "
        "where the goods finally go.",
    ),
    Feature(
        "shipping_is_pickup_point",
        "bool",
        "The parcel goes to a pick-up point, parcel shop or locker rather than a home address.",
    ),
    Feature(
        "shipping_is_po_box",
        "bool",
        "The shipping address is a P.O. box (Postbus, Postfach, BP, boîte postale).",
    ),
    Feature(
        "billing_shipping_distance_km",
        "num",
        "Distance in km between the billing and the shipping address (unknown when either "
        "cannot be placed).",
    ),
)

# "Postbus 123", "Postfach 10 11 12", "BP 45", "Boîte postale 7", "PO Box 9", "Case postale"
_PO_BOX = re.compile(
    r"(?<![a-z0-9])(postbus|postfach|po box|p o box|pobox|post office box|boite postale|"
    r"case postale|b p \d|bp \d|bp$|cs \d+)(?![a-z])"
)


@dataclass(frozen=True)
class Forwarders:
    """Known forwarder warehouse addresses and keyword patterns, folded for matching."""

    # (country, postal key, normalised street) -> (house number or "", service name)
    addresses: dict[tuple[str, str, str], tuple[tuple[str, str], ...]]
    forwarder_words: re.Pattern[str] | None
    pickup_words: re.Pattern[str] | None

    def forwarder(self, address: Address) -> str | None:
        """Name of the forwarder this address belongs to, or ``'keyword'`` for a generic marker."""
        where = (address.country, postal_key(address.country, address.postal_code))
        entries = self.addresses.get((*where, normalise_street(address.street)), ())
        house = _house_digits(address.house_number)
        for entry_house, name in entries:
            if not entry_house or entry_house == house:
                return name
        text = _address_text(address)
        if self.forwarder_words is not None:
            hit = self.forwarder_words.search(text)
            if hit:
                return hit.group(0)
        return None

    def is_pickup_point(self, address: Address) -> bool:
        return self.pickup_words is not None and bool(
            self.pickup_words.search(_address_text(address))
        )


def _house_digits(house: str | None) -> str:
    """Leading number of a house number: forwarders append suite ids ('829-B1234')."""
    match = re.match(r"\s*(\d+)", house or "")
    return match.group(1) if match else ""


def _address_text(address: Address) -> str:
    return fold(
        " ".join(
            filter(None, (address.recipient, address.street, address.house_number, address.city))
        )
    )


def _words_pattern(words: list[str]) -> re.Pattern[str] | None:
    folded = sorted({fold(w) for w in words if fold(w)}, key=len, reverse=True)
    if not folded:
        return None
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, folded)) + r")(?![a-z0-9])")


def _read_yaml(text: str, source: str) -> dict:  # type: ignore[type-arg]
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"forwarders file {source} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"forwarders file {source} must be a mapping with a 'forwarders' list")
    for entry in data.get("forwarders") or ():
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigError(f"forwarders file {source}: every forwarder needs a name: {entry!r}")
    return data


def _bundled_text() -> str:
    return resources.files("fraud").joinpath("data", "parcel_forwarders.yaml").read_text("utf-8")


@cache
def load_forwarders(extra_path: Path | None = None) -> Forwarders:
    """The bundled forwarder list plus an optional user file of the same shape (cached per path)."""
    sources = [_read_yaml(_bundled_text(), "parcel_forwarders.yaml")]
    if extra_path is not None:
        try:
            text = Path(extra_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"forwarders file {extra_path} cannot be read: {exc}") from exc
        sources.append(_read_yaml(text, str(extra_path)))

    addresses: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    forwarder_words: list[str] = []
    pickup_words: list[str] = []
    for data in sources:
        for entry in data.get("forwarders") or ():
            name = str(entry["name"])
            forwarder_words.extend(str(k) for k in entry.get("keywords") or ())
            if entry.get("country") and entry.get("postal_code") and entry.get("street"):
                country = str(entry["country"]).upper()
                key = (
                    country,
                    postal_key(country, str(entry["postal_code"])),
                    normalise_street(str(entry["street"])),
                )
                house = _house_digits(str(entry.get("house_number") or ""))
                addresses.setdefault(key, []).append((house, name))
        forwarder_words.extend(str(k) for k in data.get("forwarder_keywords") or ())
        pickup_words.extend(str(k) for k in data.get("pickup_keywords") or ())
    return Forwarders(
        {k: tuple(v) for k, v in addresses.items()},
        _words_pattern(forwarder_words),
        _words_pattern(pickup_words),
    )


def is_po_box(address: Address) -> bool:
    """Whether the street line is a P.O. box rather than a street."""
    return bool(_PO_BOX.search(fold(f"{address.street} {address.house_number or ''}")))


def compute(order: Order, ctx: Context) -> dict[str, FeatureValue]:
    billing, shipping = order.billing_address, order.shipping_address
    forwarders = load_forwarders(ctx.settings.forwarders_path)
    same_place = address_key(billing) == address_key(shipping)
    distance: float | None = 0.0 if same_place else None
    if not same_place:
        b, s = locate_address(billing), locate_address(shipping)
        if b.lat is not None and b.lon is not None and s.lat is not None and s.lon is not None:
            distance = round(haversine_km(b.lat, b.lon, s.lat, s.lon), 1)
    return {
        "billing_country": billing.country,
        "shipping_country": shipping.country,
        "billing_city": billing.city,
        "shipping_city": shipping.city,
        "shipping_differs_from_billing": not same_place,
        "shipping_country_differs_from_billing": billing.country != shipping.country,
        "billing_postal_code_valid": postal_code_valid(billing.country, billing.postal_code),
        "shipping_postal_code_valid": postal_code_valid(shipping.country, shipping.postal_code),
        "billing_postal_city_consistent": postal_city_consistent(
            billing.country, billing.postal_code, billing.city
        ),
        "shipping_postal_city_consistent": postal_city_consistent(
            shipping.country, shipping.postal_code, shipping.city
        ),
        "shipping_is_forwarder": forwarders.forwarder(shipping) is not None,
        "shipping_is_pickup_point": order.shipping_method == ShippingMethod.PICKUP_POINT
        or forwarders.is_pickup_point(shipping),
        "shipping_is_po_box": is_po_box(shipping),
        "billing_shipping_distance_km": distance,
    }


SIGNALS = [Signal("address", compute, FEATURES)]

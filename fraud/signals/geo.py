"""Geo signal: where the IP address is, and how that fits the addresses and the card."""

from __future__ import annotations

from typing import cast

from fraud.domain import Feature, FeatureValue
from fraud.geo import EU_COUNTRIES, GeoLocator, IpLocation, haversine_km
from fraud.places import Place, locate_address
from fraud.schema import Order
from fraud.signals import Context, Signal

FEATURES: tuple[Feature, ...] = (
    Feature("ip_country", "cat", "Country the IP address is located in, by the GeoIP database."),
    Feature("ip_country_name", "text", "Name of the country the IP address is located in."),
    Feature("ip_city", "text", "City the IP address is located in, where the database knows it."),
    Feature(
        "ip_accuracy_km",
        "num",
        "How far off the IP location may be, in km (the database's accuracy radius).",
    ),
    Feature(
        "ip_is_private",
        "bool",
        "The IP address is private, loopback or reserved, so it cannot be located "
        "(usually a proxy or test setup in front of the shop).",
    ),
    Feature("ip_unknown", "bool", "The IP address is public but not in the GeoIP database."),
    Feature("ip_version", "num", "IP protocol version of the address: 4 or 6."),
    Feature(
        "ip_billing_distance_km",
        "num",
        "Distance in km between the IP location and the billing address.",
    ),
    Feature(
        "ip_shipping_distance_km",
        "num",
        "Distance in km between the IP location and the shipping address.",
    ),
    Feature(
        "billing_geo_precision",
        "cat",
        "How precisely the billing address could be placed: postal_code, city, region or country.",
    ),
    Feature(
        "shipping_geo_precision",
        "cat",
        "How precisely the shipping address could be placed: postal_code, city, region or country.",
    ),
    Feature(
        "ip_country_matches_billing",
        "bool",
        "The IP address is in the same country as the billing address.",
    ),
    Feature(
        "ip_country_matches_shipping",
        "bool",
        "The IP address is in the same country as the shipping address.",
    ),
    Feature(
        "ip_country_matches_card",
        "bool",
        "The IP address is in the country that issued the card (unknown when the card's "
        "country is not given).",
    ),
    Feature(
        "ip_is_hosting",
        "bool",
        "The IP address belongs to a data centre or cloud provider rather than a home or "
        "mobile network (unknown without an ASN or Anonymous-IP database).",
    ),
    Feature(
        "ip_is_anonymous",
        "bool",
        "The IP address is a known VPN, proxy or Tor exit (unknown without an Anonymous-IP "
        "database).",
    ),
    Feature("ip_country_is_eu", "bool", "The IP address is in a European Union member state."),
)


def _distance_km(loc: IpLocation, place: Place) -> float | None:
    if loc.lat is None or loc.lon is None or place.lat is None or place.lon is None:
        return None
    return round(haversine_km(loc.lat, loc.lon, place.lat, place.lon), 1)


def _same_country(ip_country: str | None, other: str | None) -> bool | None:
    if ip_country is None or other is None:
        return None
    return ip_country == other


def ip_features(
    loc: IpLocation, billing: Place, shipping: Place, order: Order
) -> dict[str, FeatureValue]:
    """Feature values from an IP location and the two placed addresses (pure)."""
    country = loc.country_iso
    return {
        "ip_country": country,
        "ip_country_name": loc.country_name,
        "ip_city": loc.city,
        "ip_accuracy_km": loc.accuracy_radius_km,
        "ip_is_private": loc.is_private_or_reserved,
        "ip_unknown": loc.unknown,
        "ip_version": loc.version,
        "ip_billing_distance_km": _distance_km(loc, billing),
        "ip_shipping_distance_km": _distance_km(loc, shipping),
        "billing_geo_precision": billing.precision,
        "shipping_geo_precision": shipping.precision,
        "ip_country_matches_billing": _same_country(country, order.billing_address.country),
        "ip_country_matches_shipping": _same_country(country, order.shipping_address.country),
        "ip_country_matches_card": _same_country(country, order.payment.card_country),
        "ip_is_hosting": loc.is_hosting,
        "ip_is_anonymous": loc.is_anonymous,
        "ip_country_is_eu": None if country is None else country in EU_COUNTRIES,
    }


def compute(order: Order, ctx: Context) -> dict[str, FeatureValue]:
    # requires=("geo",): the registry runs this signal only when a locator is loaded.
    locator = cast(GeoLocator, ctx.geo)
    loc = locator.lookup(str(order.ip_address))
    billing = locate_address(order.billing_address)
    shipping = locate_address(order.shipping_address)
    return ip_features(loc, billing, shipping, order)


SIGNALS = [Signal("geo", compute, FEATURES, requires=("geo",))]

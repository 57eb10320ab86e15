"""Phone signal: is the number real, where is it from, what kind of line.

The phone number is optional (the shop's privacy policy says so), so a missing
number is reported as unknown (``None``) everywhere except ``phone_present``,
and never as a suspicious value in itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import CountryCodeSource, PhoneNumberType

from fraud.domain import Feature, FeatureValue
from fraud.schema import Order
from fraud.signals import Context, Signal

FEATURES: tuple[Feature, ...] = (
    Feature(
        "phone_present",
        "bool",
        "Whether the customer gave a phone number; it is optional, so its absence is normal "
        "and not suspicious by itself.",
    ),
    Feature(
        "phone_valid",
        "bool",
        "Whether the phone number is a real, dialable number for its country (unknown when "
        "no number was given).",
    ),
    Feature(
        "phone_country",
        "cat",
        "Country the phone number belongs to, as ISO code (unknown when absent or unparseable).",
    ),
    Feature(
        "phone_country_matches_billing",
        "bool",
        "Whether the phone number's country is the billing address country (unknown when "
        "there is no usable number).",
    ),
    Feature(
        "phone_line_type",
        "cat",
        "Kind of line: mobile, fixed_line, voip, toll_free, premium_rate or other (unknown "
        "when absent or invalid).",
    ),
)

_LINE_TYPES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
}

# phonenumbers loads each region's metadata on first use (milliseconds per
# region); load the shop's countries now so no customer's order pays for it.
_WARM_UP = ("+31612345678", "+32470123456", "+4915123456789", "+33612345678", "+352621123456",
            "+41791234567", "+436641234567", "+447911123456", "+48601234567", "+34612345678",
            "+393123456789")


@dataclass(frozen=True)
class PhoneCheck:
    """What one number, read in one default region, turned out to be."""

    valid: bool
    country: str | None
    line_type: str | None


@lru_cache(maxsize=16_384)
def check_phone(raw: str, default_region: str) -> PhoneCheck:
    """Parse ``raw`` (national numbers read as ``default_region``) and classify it."""
    try:
        number = phonenumbers.parse(raw, default_region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return PhoneCheck(valid=False, country=None, line_type=None)
    country = phonenumbers.region_code_for_number(number)
    # number_type() is what is_valid_number() checks internally (UNKNOWN means
    # invalid), so one call answers both and saves a second pattern scan.
    kind = phonenumbers.number_type(number)
    if country is None or kind == PhoneNumberType.UNKNOWN:
        # An invalid national number "belongs" to the billing country only because
        # we read it there; keep the country only when the customer dialled it.
        dialled = number.country_code_source != CountryCodeSource.FROM_DEFAULT_COUNTRY
        return PhoneCheck(valid=False, country=country if dialled else None, line_type=None)
    return PhoneCheck(valid=True, country=country, line_type=_LINE_TYPES.get(kind, "other"))


def compute(order: Order, ctx: Context) -> dict[str, FeatureValue]:
    raw = order.customer.phone
    billing = order.billing_address.country
    if not raw:
        return {
            "phone_present": False,
            "phone_valid": None,
            "phone_country": None,
            "phone_country_matches_billing": None,
            "phone_line_type": None,
        }
    check = check_phone(raw, billing)
    matches = None if check.country is None else check.country == billing
    return {
        "phone_present": True,
        "phone_valid": check.valid,
        "phone_country": check.country,
        "phone_country_matches_billing": matches,
        "phone_line_type": check.line_type,
    }


def _warm_up() -> None:
    """Load the metadata of the regions most orders come from."""
    for raw in _WARM_UP:
        number = phonenumbers.parse(raw, None)
        phonenumbers.number_type(number)


_warm_up()

SIGNALS = [Signal("phone", compute, FEATURES)]

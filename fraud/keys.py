"""Linking keys: the normalised values by which orders are tied together across
accounts (same IP, e-mail, phone, device, address or card).

Normalisation is deliberately simple and stable: a key written today must match
the same key computed next year, or history breaks.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

from fraud.schema import Address, Order

_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Case- and accent-insensitive, punctuation collapsed: 'Straße 1-A' -> 'strasse 1 a'."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NON_ALNUM.sub(" ", text)).strip()


_STREET_ABBREVIATIONS = {
    "str": "strasse",
    "straat": "straat",
    "bd": "boulevard",
    "bld": "boulevard",
    "av": "avenue",
    "ave": "avenue",
    "pl": "plein",
}


def normalise_street(street: str) -> str:
    words = fold(street).split()
    words = [_STREET_ABBREVIATIONS.get(w, w) for w in words]
    words = [w[:-3] + "strasse" if w.endswith("str") else w for w in words]
    joined = " ".join(words)
    # German streets are written both "Hauptstr." and "Haupt Strasse"
    return joined.replace(" strasse", "strasse")


def normalise_postal_code(code: str) -> str:
    return _NON_ALNUM.sub("", code.casefold())


def address_key(address: Address) -> str:
    """Same place, same key: 'Oudegracht 158-A, 3511AZ' == 'oudegracht 158 a, 3511 az'."""
    house = fold(address.house_number or "").replace(" ", "")
    return "|".join(
        (
            address.country,
            normalise_postal_code(address.postal_code),
            normalise_street(address.street),
            house,
        )
    )


def normalise_email(email: str) -> str:
    """Lower-case; drop '+tag' sub-addressing, and dots for Gmail, which ignores them."""
    local, _, domain = email.strip().lower().rpartition("@")
    if not local:
        return email.strip().lower()
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def normalise_phone(raw: str | None, region: str) -> str | None:
    """E.164 when the number parses (national numbers read in the billing country)."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", raw)
        return digits or None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True, slots=True)
class OrderKeys:
    account: str | None
    ip: str
    email: str
    phone: str | None
    device: str | None
    address: str
    card: str | None

    def linked(self) -> dict[str, str]:
        """The keys that link across accounts (the account id itself excluded)."""
        pairs = {
            "ip": self.ip,
            "email": self.email,
            "phone": self.phone,
            "device": self.device,
            "address": self.address,
            "card": self.card,
        }
        return {k: v for k, v in pairs.items() if v}


_last: tuple[Order, OrderKeys] | None = None


def order_keys(order: Order) -> OrderKeys:
    """The order's linking keys. Scoring asks three times for the same order (history,
    rules, store), so the last answer is kept: orders are immutable."""
    global _last
    last = _last
    if last is not None and last[0] is order:
        return last[1]
    keys = _compute_keys(order)
    _last = (order, keys)
    return keys


MAX_KEY_LENGTH = 320


def bounded(key: str | None, limit: int = MAX_KEY_LENGTH) -> str | None:
    """Keys longer than the store's columns become their SHA-256: normalising hostile
    text can make it longer than what was typed ('㎯' folds to 'mm2'), and the same
    text still gives the same key."""
    if key is None or len(key) <= limit:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _compute_keys(order: Order) -> OrderKeys:
    return OrderKeys(
        account=order.customer.account_id,
        ip=str(order.ip_address),
        email=bounded(normalise_email(order.customer.email)) or "",
        phone=bounded(normalise_phone(order.customer.phone, order.billing_address.country), 64),
        device=order.device_id,
        address=bounded(address_key(order.shipping_address)) or "",
        card=order.card_key,
    )

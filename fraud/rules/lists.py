"""Allow and deny lists: named sets of normalised order keys of one kind.

Entries are normalised exactly as :mod:`fraud.keys` normalises an order's
keys, so ``'Jan.Jansen@Example.nl'`` in a list matches the order's e-mail.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from fraud.keys import (
    fold,
    normalise_email,
    normalise_phone,
    normalise_postal_code,
    normalise_street,
)

ListKind = Literal["email", "ip", "address", "card", "device", "phone", "account"]
LIST_KINDS: tuple[str, ...] = get_args(ListKind)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CARD = re.compile(r"^[0-9]{6,8}:[0-9]{4}$")


@dataclass(frozen=True)
class NamedList:
    """An allow or deny list of normalised order keys of one kind.

    ``ip`` lists hold single addresses and CIDR networks; every other kind holds
    exact, normalised values (see :mod:`fraud.keys`).
    """

    name: str
    kind: ListKind
    values: frozenset[str]
    networks: tuple[IpNetwork, ...] = ()
    description: str = ""

    def __contains__(self, key: object) -> bool:
        if key in self.values:
            return True
        if not self.networks or not isinstance(key, str):
            return False
        try:
            address = ipaddress.ip_address(key)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __len__(self) -> int:
        return len(self.values) + len(self.networks)


def list_value(kind: str, raw: Any) -> str | IpNetwork:
    """One list entry, normalised the way fraud.keys normalises order keys."""
    if kind == "address" and isinstance(raw, Mapping):
        return _address_value(raw)
    if not isinstance(raw, str | int) or isinstance(raw, bool) or not str(raw).strip():
        raise ValueError(f"a {kind} list entry must be text, got {raw!r}")
    text = str(raw).strip()
    if kind == "email":
        if "@" not in text:
            raise ValueError(f"{text!r} is not an e-mail address")
        return normalise_email(text)
    if kind == "ip":
        network = ipaddress.ip_network(text, strict=False)
        if network.num_addresses == 1:
            return str(network.network_address)
        return network
    if kind == "card":
        card = re.sub(r"\s", "", text)
        if not _CARD.match(card):
            raise ValueError(f"{text!r} is not a card key 'BIN:LAST4' such as '535522:4242'")
        return card
    if kind == "phone":
        if not text.startswith("+"):
            raise ValueError(f"{text!r} must be in international form, e.g. '+31612345678'")
        return normalise_phone(text, "ZZ") or text
    if kind == "address":
        parts = text.split("|")
        if len(parts) != 4:
            raise ValueError(
                f"{text!r} is not an address key 'COUNTRY|POSTAL CODE|STREET|HOUSE NUMBER' "
                "(or give street, house_number, postal_code, country)"
            )
        return _address_key(*parts)
    return text  # device ids and account ids are opaque and compared exactly


def _address_key(country: str, postal_code: str, street: str, house: str) -> str:
    # Same normalisation as fraud.keys.address_key, without building an Address.
    return "|".join(
        (
            country.strip().upper(),
            normalise_postal_code(postal_code),
            normalise_street(street),
            fold(house).replace(" ", ""),
        )
    )


def _address_value(raw: Mapping[str, Any]) -> str:
    missing = [k for k in ("street", "postal_code", "country") if not raw.get(k)]
    if missing:
        raise ValueError(f"address needs {', '.join(missing)}")
    return _address_key(
        str(raw["country"]),
        str(raw["postal_code"]),
        str(raw["street"]),
        str(raw.get("house_number") or ""),
    )

"""The fast canonical form is RFC 8785 for every kind of value the service writes."""

from __future__ import annotations

import rfc8785
from factories import make_order

from fraud.evidence.canonical import canonical, digest

VALUES = [
    0, -1, 2**53 - 1, 0.1, 1.0, -0.0, 100.0, 2.0**52, 1e21, 1e-7, 5e-324, 123456789.123,
    "plain", "é ü ß", "\u2028", "tab\there", "quote\" back\\slash", "\x01", "😀",
    True, False, None, [], {}, [1, "a", None], {"b": 1, "a": {"d": [2.5, 3.0], "c": "x"}},
    {"é": 1, "e": 2, "Z": 3, "a": 4},
]


def test_canonical_matches_the_rfc_8785_reference_on_every_kind_of_value() -> None:
    for value in VALUES:
        assert canonical(value) == rfc8785.dumps(value), value


def test_canonical_matches_the_reference_on_a_real_order() -> None:
    order = make_order(customer={"name": "Zoë Ångström"}).model_dump(mode="json")
    assert canonical(order) == rfc8785.dumps(order)
    assert digest(order) == digest(dict(reversed(list(order.items()))))

"""The one byte form of a JSON value that is hashed and signed.

UTF-8 JSON with object keys sorted by code point, no insignificant whitespace,
strings with only the escapes JSON requires, and numbers in their shortest
round-trip form. For the values the service writes (text, integers and integral
floats below 2**53 in size, other finite floats, no characters beyond U+FFFF in
keys) this is exactly RFC 8785
(JSON Canonicalization Scheme): tests/evidence/test_canonical.py pins it to the
``rfc8785`` reference implementation. It is written with ``orjson``, because the
pure-Python reference took about half a millisecond per decision record, more
than scoring itself.

Verifying a hash never needs re-serialising: the stored bytes are what was hashed.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

_EXACT = 2**53


def canonical(value: Any) -> bytes:
    """``value`` as canonical JSON (UTF-8). Refuses keys that are not text.

    An :class:`orjson.Fragment` inside is written as it is: it must hold canonical
    JSON itself (see :func:`fraud.evidence.records.decision_record`)."""
    return orjson.dumps(_integral_floats_as_ints(value), option=orjson.OPT_SORT_KEYS)


def _integral_floats_as_ints(value: Any) -> Any:
    """RFC 8785 writes 2.0 as ``2``; orjson writes ``2.0``. Scalars are handled inline,
    not by a call each: this runs over every record written."""
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() and -_EXACT < value < _EXACT else value
    if kind is dict:
        out = {}
        for key, item in value.items():
            inner = type(item)
            if inner is float:
                if item.is_integer() and -_EXACT < item < _EXACT:
                    item = int(item)
            elif inner is dict or inner is list or inner is tuple:
                item = _integral_floats_as_ints(item)
            out[key] = item
        return out
    if kind is list or kind is tuple:
        return [_integral_floats_as_ints(v) for v in value]
    return value


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return sha256_hex(canonical(value))

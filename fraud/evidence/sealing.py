"""Personal data kept beside the chain, never in it.

A record's personal part is sealed: the JSON text ``{"salt": <random>, "data":
<personal>}`` is encrypted with AES-256-GCM under its customer's own key and stored
apart; the record's hashed body holds only the SHA-256 of that exact text (a
*commitment*: the random salt means the hash says nothing about the data, yet
whoever is shown the text can check it against the chain).
Erasing a customer deletes their sealed rows and key; the bodies, and so the
chain, are untouched.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary, bindparam, select, text

from fraud.evidence.canonical import sha256_hex
from fraud.keys import normalise_email
from fraud.schema import Order
from fraud.store.codecs import UTCDateTime
from fraud.store.evidence_tables import evidence_customers, evidence_sealed
from fraud.store.statements import RawConnection, insert_row, per_dialect

SALT_BYTES = 16
NONCE_BYTES = 12


def customer_identity(order: Order) -> str:
    """Who the order's personal data belongs to: the shop account, or for a guest
    checkout the normalised e-mail address."""
    if order.customer.account_id is not None:
        return f"account:{order.customer.account_id}"
    return f"email:{normalise_email(order.customer.email)}"


@dataclass(frozen=True)
class Sealed:
    """A personal part ready to store: the commitment goes into the hashed body."""

    customer_id: str
    commitment: str
    nonce: bytes
    ciphertext: bytes


def seal(customer_id: str, key: bytes, personal: Any) -> Sealed:
    """Encrypt ``{"salt", "data": personal}`` under ``key``; the associated data binds
    it to its customer so a sealed row cannot be moved to another. ``personal`` may
    hold :class:`orjson.Fragment` (JSON already written, such as the order as
    received)."""
    plain = orjson.dumps({"salt": os.urandom(SALT_BYTES).hex(), "data": personal})
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plain, customer_id.encode())
    return Sealed(customer_id, sha256_hex(plain), nonce, ciphertext)


def unseal(customer_id: str, key: bytes, nonce: bytes, ciphertext: bytes) -> bytes:
    """The JSON text sealed by :func:`seal` (``{"salt", "data"}``).

    Raises ``cryptography.exceptions.InvalidTag`` when the row was altered."""
    return AESGCM(key).decrypt(nonce, ciphertext, customer_id.encode())


def opened_data(plain: bytes) -> Any:
    """The personal data in an unsealed text."""
    return json.loads(plain)["data"]


def commitment_of(plain: bytes) -> str:
    """The commitment a body holds for an unsealed text."""
    return sha256_hex(plain)


@per_dialect
def _insert_customer() -> Any:
    # ON CONFLICT DO NOTHING is spelt alike by SQLite and PostgreSQL: two first orders
    # of one customer at once both end up with the one key, neither fails.
    return text(
        "INSERT INTO evidence_customers (id, identity, key, created_at) "
        "VALUES (:id, :identity, :key, :created_at) ON CONFLICT (identity) DO NOTHING"
    ).bindparams(
        bindparam("key", type_=LargeBinary()), bindparam("created_at", type_=UTCDateTime())
    )


@per_dialect
def _customer_by_identity() -> Any:
    return select(evidence_customers.c.id, evidence_customers.c.key).where(
        evidence_customers.c.identity == bindparam("identity")
    )


@per_dialect
def _insert_sealed() -> Any:
    return insert_row(evidence_sealed)


def customer_key(raw: RawConnection, identity: str, now: datetime) -> tuple[str, bytes]:
    """The customer's id and AES key, created on their first record."""
    found = raw.first(_customer_by_identity(raw.dialect), {"identity": identity})
    if found is None or found["key"] is None:
        raw.write(
            _insert_customer(raw.dialect),
            {
                "id": str(uuid.uuid4()),
                "identity": identity,
                "key": AESGCM.generate_key(bit_length=256),
                "created_at": now,
            },
        )
        found = raw.first(_customer_by_identity(raw.dialect), {"identity": identity})
    assert found is not None and found["key"] is not None
    return str(found["id"]), bytes(found["key"])


def store_sealed(raw: RawConnection, seq: int, sealed: Sealed, order_id: str | None) -> None:
    raw.write(
        _insert_sealed(raw.dialect),
        {
            "seq": seq,
            "customer_id": sealed.customer_id,
            "order_id": order_id,
            "nonce": sealed.nonce,
            "ciphertext": sealed.ciphertext,
        },
    )

"""The evidence chain's tables (see docs/evidence.md).

``evidence_records`` is append-only: each row holds the canonical JSON ``body``
that was hashed, the previous record's hash and its own. ``evidence_head`` is a
single row (the last sequence number and hash); every append locks it, so two
writers can never take the same number or fork the chain. Personal data never
enters a body: it is sealed per customer in ``evidence_sealed`` (AES-GCM under the
customer's key in ``evidence_customers``) and the body holds only a salted
commitment to it, so erasure deletes the sealed rows and the key and the chain
still verifies.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, Text

from fraud.store.codecs import UTCDateTime
from fraud.store.meta import metadata

HEAD_ID = 1
GENESIS_HASH = "0" * 64
"""The ``prev`` of the first record: no record before it."""

evidence_head = Table(
    "evidence_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

evidence_records = Table(
    "evidence_records",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(40), nullable=False),
    Column("subject", String(120), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "subject", "seq"),
)

evidence_customers = Table(
    "evidence_customers",
    metadata,
    Column("id", String(36), primary_key=True),
    # "account:<id>" or "email:<normalised e-mail>"; replaced when the customer is erased
    Column("identity", String(400), nullable=False, unique=True),
    Column("key", LargeBinary),  # AES-256-GCM key; NULL once erased
    Column("created_at", UTCDateTime, nullable=False),
    Column("erased_at", UTCDateTime),
)

evidence_sealed = Table(
    "evidence_sealed",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("order_id", String(64), index=True),
    Column("nonce", LargeBinary, nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
)

evidence_checkpoints = Table(
    "evidence_checkpoints",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
)

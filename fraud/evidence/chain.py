"""Appending to the evidence chain.

One record per thing that happened (a decision, an outcome, a reviewer's action, a
case change, an export, an erasure), written on the caller's connection inside the
caller's transaction: it commits or rolls back with what it records. The body is the
canonical JSON (:mod:`~fraud.evidence.canonical`) of::

    {"seq", "prev", "kind", "subject", "actor", "at", "data"}

and the record's hash is the SHA-256 of those bytes, so each hash covers the one
before it. Sequence numbers come from the single ``evidence_head`` row, updated
first: on PostgreSQL the UPDATE locks that row until commit, on SQLite it takes the
database's one writer lock, so concurrent appends queue up and never fork the chain
or leave a gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, text, update
from sqlalchemy.orm import Session

from fraud.evidence.canonical import canonical, sha256_hex
from fraud.evidence.sealing import customer_key, seal, store_sealed
from fraud.store.evidence_tables import HEAD_ID, evidence_head, evidence_records
from fraud.store.statements import RawConnection, insert_row, per_dialect, raw_of
from fraud.times import utc

MAX_LABEL = 120


@dataclass(frozen=True)
class Appended:
    """What an append wrote: the record's number and hash."""

    seq: int
    hash: str
    at: datetime


@per_dialect
def _advance_head() -> Any:
    # The UPDATE comes first so the lock is taken before anything is read.
    return text(
        "UPDATE evidence_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"
    )


@per_dialect
def _lock_head() -> Any:
    return text("UPDATE evidence_head SET seq = seq WHERE id = 1")


def lock_chain(store: Session | RawConnection) -> None:
    """Take the lock every append takes, now, until the transaction ends: what the
    caller reads next cannot change under it through another append (a case change)."""
    raw = store if isinstance(store, RawConnection) else raw_of(store)
    raw.write(_lock_head(raw.dialect), {})


@per_dialect
def _set_head_hash() -> Any:
    return (
        update(evidence_head)
        .where(evidence_head.c.id == HEAD_ID)
        .values(hash=bindparam("new_hash"))
    )


@per_dialect
def _insert_record() -> Any:
    return insert_row(evidence_records)


def time_text(at: datetime) -> str:
    """The one spelling of a time in a body: UTC, microseconds, ``Z``."""
    return utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def body_of(
    seq: int, prev: str, kind: str, subject: str, actor: str, at: datetime, data: Any
) -> bytes:
    return canonical(
        {
            "seq": seq,
            "prev": prev,
            "kind": kind,
            "subject": subject,
            "actor": actor,
            "at": time_text(at),
            "data": data,
        }
    )


def append(
    store: Session | RawConnection,
    *,
    kind: str,
    subject: str,
    actor: str,
    data: Mapping[str, Any],
    personal: Any = None,
    customer: str | None = None,
    order_id: str | None = None,
    at: datetime | None = None,
) -> Appended:
    """Append one evidence record in the caller's transaction (not committed here).

    ``kind`` says what happened (``decision``, ``outcome``, ``review``, ...),
    ``subject`` what it happened to (``order:<id>``, ``case:<n>``), ``actor`` who
    or what did it. ``data`` is hashed as it is and must hold no personal data;
    ``personal`` (with ``customer``, the identity of
    :func:`~fraud.evidence.sealing.customer_identity`) is sealed under that
    customer's key and only its commitment enters the body, under
    ``data["personal"]``. ``order_id`` marks the sealed part as that order's, for
    erasure and retention. ``at`` defaults to now (UTC).
    """
    raw = store if isinstance(store, RawConnection) else raw_of(store)
    moment = utc(at) if at is not None else datetime.now(UTC)
    for name, label in (("kind", kind), ("subject", subject), ("actor", actor)):
        if not label or len(label) > MAX_LABEL:
            raise ValueError(f"evidence {name} must be 1 to {MAX_LABEL} characters")
    sealed = None
    body_data = dict(data)
    if personal is not None:
        if customer is None:
            raise ValueError("personal data needs the customer it belongs to")
        customer_id, key = customer_key(raw, customer, moment)
        sealed = seal(customer_id, key, personal)
        body_data["personal"] = {"customer": customer_id, "commitment": sealed.commitment}
    head = raw.first(_advance_head(raw.dialect), {})
    if head is None:
        raise RuntimeError("the evidence_head row is missing: run the store migrations")
    seq, prev = int(head["seq"]), str(head["hash"])
    body = body_of(seq, prev, kind, subject, actor, moment, body_data)
    digest = sha256_hex(body)
    raw.write(
        _insert_record(raw.dialect),
        {
            "seq": seq,
            "kind": kind,
            "subject": subject,
            "actor": actor,
            "at": moment,
            "body": body.decode("utf-8"),
            "prev_hash": prev,
            "hash": digest,
        },
    )
    raw.write(_set_head_hash(raw.dialect), {"new_hash": digest})
    if sealed is not None:
        store_sealed(raw, seq, sealed, order_id)
    return Appended(seq, digest, moment)

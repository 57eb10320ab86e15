"""Checking the whole chain: every record, the head, every signed checkpoint.

Reads the records in sequence order and names each thing that is wrong, by
record number; the first problem is the first bad record. What each check
catches:

* a body edited in place: its hash no longer matches (or, with the hash
  recomputed, the next record's ``prev`` no longer does);
* a record deleted: a gap in the numbers;
* a record inserted or two reordered: numbers or ``prev`` links disagree with
  the bodies;
* records cut off the end: the head row, or a signed checkpoint, points past
  the last record;
* the tail rewritten with every hash recomputed: a signed checkpoint no longer
  matches (records after the last checkpoint are only as safe as the database;
  hence the checkpoint on shutdown).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from fraud.evidence.canonical import sha256_hex
from fraud.evidence.chain import time_text
from fraud.evidence.checkpoints import checkpoint_message, signature_valid
from fraud.store.evidence_tables import (
    GENESIS_HASH,
    HEAD_ID,
    evidence_checkpoints,
    evidence_head,
    evidence_records,
)

PAGE = 1000


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str

    def __str__(self) -> str:
        return f"record {self.seq}: {self.what}"


@dataclass
class ChainReport:
    records: int = 0
    last_seq: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.seq) if self.problems else None


def record_problems(
    row: Mapping[str, Any], expected_seq: int, prev_hash: str
) -> list[str]:
    """What is wrong with one stored record, given the record before it."""
    found: list[str] = []
    body_text = row["body"]
    if sha256_hex(body_text.encode("utf-8")) != row["hash"]:
        found.append("its hash does not match its content (edited?)")
    try:
        body = json.loads(body_text)
    except ValueError:
        return [*found, "its body is not JSON"]
    if not isinstance(body, dict):
        return [*found, "its body is not a JSON object"]
    if row["seq"] != expected_seq:
        found.append(f"expected record {expected_seq} here (a record missing or inserted?)")
    if body.get("seq") != row["seq"]:
        found.append(f"its body says it is record {body.get('seq')} (moved or reordered?)")
    if body.get("prev") != prev_hash or row["prev_hash"] != prev_hash:
        found.append("it does not link to the record before it (deleted, inserted or reordered?)")
    for name in ("kind", "subject", "actor"):
        if body.get(name) != row[name]:
            found.append(f"its {name} column differs from its hashed body")
    if body.get("at") != time_text(row["at"]):
        found.append("its time column differs from its hashed body")
    return found


def _records(session: Session) -> Iterable[Any]:
    after = 0
    while True:
        page = session.execute(
            select(evidence_records)
            .where(evidence_records.c.seq > after)
            .order_by(evidence_records.c.seq)
            .limit(PAGE)
        ).mappings().all()
        if not page:
            return
        yield from page
        after = page[-1]["seq"]


def verify_chain(session: Session, trusted: Mapping[str, Ed25519PublicKey]) -> ChainReport:
    """Check every record, the head and every checkpoint. ``trusted``: key id -> the
    public keys whose checkpoint signatures count (the service's own key)."""
    report = ChainReport()
    checkpoints = list(
        session.execute(select(evidence_checkpoints).order_by(evidence_checkpoints.c.seq))
    )
    signed = {cp.seq for cp in checkpoints}
    hashes: dict[int, str] = {}  # only of the records a checkpoint signs: memory stays flat
    prev, expected = GENESIS_HASH, 1
    for row in _records(session):
        for what in record_problems(row, expected, prev):
            report.problems.append(Problem(row["seq"], what))
        report.records += 1
        if row["seq"] in signed:
            hashes[row["seq"]] = row["hash"]
        prev, expected = row["hash"], row["seq"] + 1
        report.last_seq = row["seq"]
    head = session.execute(select(evidence_head).where(evidence_head.c.id == HEAD_ID)).first()
    if head is None:
        report.problems.append(Problem(report.last_seq + 1, "the chain's head row is missing"))
    elif head.seq != report.last_seq or head.hash != prev:
        report.problems.append(
            Problem(
                min(head.seq, report.last_seq) + 1,
                f"the chain's head says record {head.seq} is the last, the store ends at "
                f"{report.last_seq} (records cut off the end?)",
            )
        )
    for cp in checkpoints:
        report.checkpoints += 1
        report.problems.extend(_checkpoint_problems(cp, hashes, report.last_seq, trusted))
    return report


def _checkpoint_problems(
    cp: Any, hashes: Mapping[int, str], last_seq: int, trusted: Mapping[str, Ed25519PublicKey]
) -> list[Problem]:
    key = trusted.get(cp.key_id)
    message = checkpoint_message(cp.seq, cp.hash, time_text(cp.at), cp.key_id)
    if key is None:
        return [Problem(cp.seq, f"its checkpoint is signed by an unknown key {cp.key_id[:16]}")]
    if not signature_valid(key, cp.signature, message):
        return [Problem(cp.seq, "its checkpoint's signature is not valid (checkpoint altered?)")]
    if cp.seq > last_seq:
        return [
            Problem(
                last_seq + 1,
                f"a signed checkpoint covers records up to {cp.seq}, the store ends at "
                f"{last_seq} (records cut off the end)",
            )
        ]
    if hashes.get(cp.seq) != cp.hash:
        return [Problem(cp.seq, "it differs from the signed checkpoint (rewritten?)")]
    return []

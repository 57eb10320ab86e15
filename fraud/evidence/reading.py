"""Reading records back: by subject, with their sealed personal parts opened."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.orm import Session

from fraud.evidence.sealing import unseal
from fraud.store.evidence_tables import evidence_customers, evidence_records, evidence_sealed


@dataclass(frozen=True)
class Record:
    seq: int
    kind: str
    subject: str
    actor: str
    at: datetime
    body: str  # the canonical JSON that was hashed
    hash: str
    sealed: str | None = None  # the opened personal part (JSON text), when still held

    @property
    def data(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)["data"]
        return parsed


def records_about(session: Session, subjects: Iterable[str], *, open_sealed: bool) -> list[Record]:
    """Every record whose subject is one of ``subjects``, in chain order; with
    ``open_sealed``, each personal part that is still held (not erased) is opened."""
    wanted = sorted(set(subjects))
    if not wanted:
        return []
    rows = session.execute(
        select(evidence_records)
        .where(evidence_records.c.subject.in_(wanted))
        .order_by(evidence_records.c.seq)
    ).all()
    opened = _open(session, [r.seq for r in rows]) if open_sealed else {}
    return [
        Record(r.seq, r.kind, r.subject, r.actor, r.at, r.body, r.hash, opened.get(r.seq))
        for r in rows
    ]


def _open(session: Session, seqs: list[int]) -> dict[int, str]:
    if not seqs:
        return {}
    rows = session.execute(
        select(evidence_sealed, evidence_customers.c.key)
        .join(evidence_customers, evidence_customers.c.id == evidence_sealed.c.customer_id)
        .where(evidence_sealed.c.seq.in_(seqs), evidence_customers.c.key.is_not(None))
    )
    out: dict[int, str] = {}
    for r in rows:
        try:
            plain = unseal(r.customer_id, bytes(r.key), bytes(r.nonce), bytes(r.ciphertext))
        except InvalidTag:  # altered in the store: shown as not held, verify says more
            continue
        out[r.seq] = plain.decode("utf-8")
    return out

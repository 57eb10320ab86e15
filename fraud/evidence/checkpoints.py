"""Signed checkpoints: the chain's head, signed with the service's Ed25519 key.

A checkpoint is written every ``evidence_checkpoint_every`` records and when the
service shuts down. Whoever rewrites the records after a checkpoint (and every
hash after them) cannot forge its signature, and cutting records off the end
leaves a checkpoint pointing past the last record. The signed message is the
canonical JSON of ``{"seq", "hash", "at", "key_id"}``.

The private key is a PEM file (``evidence_key_path``, by default in the data
folder), created with mode 0600 on first start when absent. ``key_id`` is the
SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fraud.errors import InvalidInput
from fraud.evidence.canonical import canonical, sha256_hex
from fraud.evidence.chain import time_text
from fraud.store.evidence_tables import HEAD_ID, evidence_checkpoints, evidence_head

log = logging.getLogger(__name__)


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256_hex(raw)


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; :class:`~fraud.errors.InvalidInput` otherwise."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise InvalidInput(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("the public key is not an Ed25519 key")
    return key


@dataclass(frozen=True)
class Signer:
    """The service's signing key."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    @classmethod
    def load_or_create(cls, path: Path) -> Signer:
        """The key at ``path``; a new one is generated and written there (0600) if absent."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it meanwhile: use theirs
                return cls.load_or_create(path)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            log.info("created the evidence signing key (key id %s)", key_id_of(key.public_key()))
            return cls(key)
        try:
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError as exc:
            raise InvalidInput(f"evidence signing key {path}: not a PEM private key") from exc
        if not isinstance(loaded, Ed25519PrivateKey):
            raise InvalidInput(f"evidence signing key {path}: not an Ed25519 key")
        return cls(loaded)


def checkpoint_message(seq: int, digest: str, at: str, key_id: str) -> bytes:
    return canonical({"seq": seq, "hash": digest, "at": at, "key_id": key_id})


def signature_valid(public: Ed25519PublicKey, signature_b64: str, message: bytes) -> bool:
    try:
        public.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    key_id: str
    signature: str


def write_checkpoint(
    session: Session, signer: Signer, now: datetime | None = None
) -> Checkpoint | None:
    """Sign the chain's head as it is now and commit; ``None`` when the chain is empty
    or its head is signed already."""
    head = session.execute(select(evidence_head).where(evidence_head.c.id == HEAD_ID)).one()
    if head.seq == 0:
        return None
    at = now or datetime.now(UTC)
    message = checkpoint_message(head.seq, head.hash, time_text(at), signer.key_id)
    cp = Checkpoint(
        head.seq, head.hash, at, signer.key_id, base64.b64encode(signer.sign(message)).decode()
    )
    try:
        session.execute(
            insert(evidence_checkpoints).values(
                seq=cp.seq, hash=cp.hash, at=cp.at, key_id=cp.key_id, signature=cp.signature
            )
        )
        session.commit()
    except IntegrityError:  # signed already (by this process or another)
        session.rollback()
        return None
    return cp


def checkpoint_due(seq: int | None, every: int) -> bool:
    """Whether appending record ``seq`` calls for a checkpoint."""
    return seq is not None and every > 0 and seq % every == 0


def checkpoint_if_due(
    session: Session, signer: Signer | None, every: int, now: datetime | None = None
) -> Checkpoint | None:
    """Sign the head when ``every`` or more records were appended since the last signed
    checkpoint, and commit. For writers that append in batches (the demo loader) or
    outside the scoring path (reviewer actions, cases, erasure): :func:`checkpoint_due`
    only sees the records the scoring path appends one by one."""
    if signer is None or every <= 0:
        return None
    head = session.execute(select(evidence_head.c.seq).where(evidence_head.c.id == HEAD_ID))
    last = session.execute(select(func.max(evidence_checkpoints.c.seq))).scalar_one()
    if (head.scalar_one_or_none() or 0) - (last or 0) < every:
        return None
    return write_checkpoint(session, signer, now)

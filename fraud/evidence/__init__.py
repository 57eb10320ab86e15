"""The evidence chain: an append-only, hash-chained, signed record of everything the
service decided and everyone did (docs/evidence.md).

    from fraud import evidence
    evidence.append(conn, kind="review", subject="order:O-1", actor="alice",
                    data={"action": "cancel"})   # inside the caller's transaction

:func:`append` writes a record; :func:`write_checkpoint` signs the head;
:func:`verify_chain` checks it all.
"""

from fraud.evidence.chain import Appended, append
from fraud.evidence.checkpoints import (
    Signer,
    checkpoint_due,
    checkpoint_if_due,
    write_checkpoint,
)
from fraud.evidence.sealing import customer_identity
from fraud.evidence.verify import ChainReport, Problem, verify_chain

__all__ = [
    "Appended",
    "ChainReport",
    "Problem",
    "Signer",
    "append",
    "checkpoint_due",
    "checkpoint_if_due",
    "customer_identity",
    "verify_chain",
    "write_checkpoint",
]

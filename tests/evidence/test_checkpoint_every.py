"""Signed checkpoints every N records however the records are written: by the demo loader
in batches, by writers outside the scoring path, and on shutdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from evidence_helpers import start_runtime, trusted
from sqlalchemy import select

from fraud.demo import SAMPLE_ORDERS, load_sample
from fraud.evidence import append, checkpoint_if_due, verify_chain
from fraud.store.evidence_tables import evidence_checkpoints, evidence_head


def signed_seqs(session) -> list[int]:  # noqa: ANN001
    return list(session.scalars(select(evidence_checkpoints.c.seq)
                                .order_by(evidence_checkpoints.c.seq)))


def head_seq(session) -> int:  # noqa: ANN001
    return session.scalars(select(evidence_head.c.seq)).one()


def test_a_checkpoint_is_signed_once_n_records_were_appended_since_the_last(db_url, tmp_path):
    runtime = start_runtime(db_url, tmp_path, evidence_checkpoint_every=3)
    try:
        with runtime.sessions() as session:
            for i in range(2):
                append(session, kind="test", subject=f"t:{i}", actor="test", data={"i": i})
                session.commit()
            assert checkpoint_if_due(session, runtime.signer, 3) is None
            append(session, kind="test", subject="t:2", actor="test", data={"i": 2})
            session.commit()
            signed = checkpoint_if_due(session, runtime.signer, 3)
            assert signed is not None and signed.seq == 3
            assert checkpoint_if_due(session, runtime.signer, 3) is None  # nothing new
            assert checkpoint_if_due(session, None, 3) is None  # no key, no checkpoint
    finally:
        runtime.close()


@pytest.mark.skipif(not SAMPLE_ORDERS.exists(), reason="sample data not generated yet")
def test_the_demo_loader_signs_every_n_records_and_the_shutdown_signs_the_head(tmp_path: Path):
    every, batch = 100, 40
    runtime = start_runtime(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path,
                            evidence_checkpoint_every=every)
    try:
        load_sample(runtime, limit=300, batch_orders=batch)
        with runtime.sessions() as session:
            seqs, head = signed_seqs(session), head_seq(session)
        assert head > 300  # every order and outcome wrote its record
        assert len(seqs) >= head // (every + 4 * batch)
        # no stretch of more than N records plus one batch (outcome batches are 4x) unsigned
        gaps = [b - a for a, b in zip([0, *seqs], seqs, strict=False)]
        assert all(every <= g < every + 4 * batch for g in gaps), gaps
        assert head - seqs[-1] < every + 4 * batch
    finally:
        runtime.close()
    runtime = start_runtime(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path)
    try:
        with runtime.sessions() as session:
            assert signed_seqs(session)[-1] == head_seq(session)  # signed at shutdown
            report = verify_chain(session, trusted(runtime))
            assert report.ok and report.checkpoints == len(signed_seqs(session))
    finally:
        runtime.close()

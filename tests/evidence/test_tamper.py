"""``verify_chain`` and ``fraud evidence verify`` catch every way of changing the
records directly in the database, and name the first bad record."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from evidence_helpers import start_runtime, trusted
from factories import make_order
from sqlalchemy import delete, insert, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fraud.cli import app
from fraud.evidence import verify_chain, write_checkpoint
from fraud.evidence.canonical import canonical, sha256_hex
from fraud.runtime import Runtime
from fraud.settings import get_settings
from fraud.store.evidence_tables import evidence_checkpoints, evidence_head, evidence_records

N = 6


@pytest.fixture
def chain(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """Six decision records, the head signed."""
    rt = start_runtime(db_url, tmp_path)
    for _ in range(N):
        rt.score(make_order())
    rt.sign_evidence_head()
    yield rt
    rt.close()


def first_bad(rt: Runtime) -> int | None:
    with rt.sessions() as session:
        report = verify_chain(session, trusted(rt))
    return None if report.first_bad is None else report.first_bad.seq


def tamper(rt: Runtime, change: Callable[[Session], None]) -> None:
    with rt.sessions() as session:
        change(session)
        session.commit()


def rehash(body: dict) -> tuple[str, str]:
    raw = canonical(body)
    return raw.decode(), sha256_hex(raw)


def _row(session: Session, seq: int) -> dict:
    return dict(session.execute(
        evidence_records.select().where(evidence_records.c.seq == seq)).mappings().one())


def test_an_untouched_chain_verifies(chain: Runtime) -> None:
    assert first_bad(chain) is None


def test_an_edited_record_is_named(chain: Runtime) -> None:
    def edit(session: Session) -> None:
        row = _row(session, 3)
        session.execute(update(evidence_records).where(evidence_records.c.seq == 3)
                        .values(body=row["body"].replace('"approve"', '"decline"')
                                .replace('"review"', '"approve"')))

    tamper(chain, edit)
    assert first_bad(chain) == 3


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(chain: Runtime) -> None:
    def edit(session: Session) -> None:
        body = json.loads(_row(session, 3)["body"])
        body["data"]["result"]["score"] += 17
        text_, digest = rehash(body)
        session.execute(update(evidence_records).where(evidence_records.c.seq == 3)
                        .values(body=text_, hash=digest))

    tamper(chain, edit)
    with chain.sessions() as session:
        report = verify_chain(session, trusted(chain))
    assert report.first_bad is not None and report.first_bad.seq == 4
    assert "does not link" in report.first_bad.what


def test_a_deleted_record_is_named(chain: Runtime) -> None:
    tamper(chain, lambda s: s.execute(delete(evidence_records).where(evidence_records.c.seq == 3)))
    with chain.sessions() as session:
        report = verify_chain(session, trusted(chain))
    assert report.first_bad is not None and report.first_bad.seq == 4
    assert "expected record 3" in report.first_bad.what


def test_an_inserted_record_is_named(chain: Runtime) -> None:
    def insert_fake(session: Session) -> None:
        for seq in range(N, 3, -1):  # make room at 4, as a forger must
            session.execute(update(evidence_records).where(evidence_records.c.seq == seq)
                            .values(seq=seq + 1))
        prev = _row(session, 3)
        fake = json.loads(prev["body"])
        fake.update(seq=4, prev=prev["hash"])
        text_, digest = rehash(fake)
        session.execute(insert(evidence_records).values(
            seq=4, kind=prev["kind"], subject=prev["subject"], actor=prev["actor"],
            at=prev["at"], body=text_, prev_hash=prev["hash"], hash=digest))

    tamper(chain, insert_fake)
    assert first_bad(chain) == 5  # the forged 4 links to 3; the old 4 (now 5) does not


def test_reordered_records_are_named(chain: Runtime) -> None:
    def swap(session: Session) -> None:
        two, three = _row(session, 2), _row(session, 3)
        for seq, row in ((2, three), (3, two)):
            session.execute(update(evidence_records).where(evidence_records.c.seq == seq)
                            .values(body=row["body"], hash=row["hash"], prev_hash=row["prev_hash"],
                                    subject=row["subject"], at=row["at"]))

    tamper(chain, swap)
    assert first_bad(chain) == 2


def test_records_cut_off_the_end_are_caught_by_the_head(chain: Runtime) -> None:
    tamper(chain, lambda s: s.execute(delete(evidence_records).where(evidence_records.c.seq > 4)))
    assert first_bad(chain) == 5


def test_records_cut_off_with_the_head_moved_back_are_caught_by_the_checkpoint(
    chain: Runtime,
) -> None:
    def cut(session: Session) -> None:
        four = _row(session, 4)
        session.execute(delete(evidence_records).where(evidence_records.c.seq > 4))
        session.execute(update(evidence_head).values(seq=4, hash=four["hash"]))

    tamper(chain, cut)
    with chain.sessions() as session:
        report = verify_chain(session, trusted(chain))
    assert report.first_bad is not None and report.first_bad.seq == 5
    assert "checkpoint" in report.first_bad.what


def test_a_tail_rewritten_with_every_hash_recomputed_is_caught_by_the_checkpoint(
    chain: Runtime,
) -> None:
    def rewrite(session: Session) -> None:
        prev = _row(session, 4)["hash"]
        for seq in (5, 6):
            body = json.loads(_row(session, seq)["body"])
            body["data"]["result"]["score"] += 17
            body["prev"] = prev
            text_, prev = rehash(body)
            session.execute(update(evidence_records).where(evidence_records.c.seq == seq)
                            .values(body=text_, hash=prev, prev_hash=body["prev"]))
        session.execute(update(evidence_head).values(hash=prev))

    tamper(chain, rewrite)
    assert first_bad(chain) == 6


def test_a_forged_checkpoint_signature_is_caught(chain: Runtime) -> None:
    forged = base64.b64encode(b"\0" * 64).decode()
    tamper(chain, lambda s: s.execute(update(evidence_checkpoints).values(signature=forged)))
    assert first_bad(chain) == 6


def test_a_checkpoint_by_another_key_does_not_count(chain: Runtime, tmp_path: Path) -> None:
    from fraud.evidence import Signer

    other = Signer.load_or_create(tmp_path / "other.pem")
    chain.score(make_order())
    with chain.sessions() as session:
        write_checkpoint(session, other)
        report = verify_chain(session, trusted(chain))
    assert report.first_bad is not None and "unknown key" in report.first_bad.what


def test_the_cli_says_ok_then_names_the_first_bad_record(
    chain: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRAUD_DATA_DIR", str(chain.settings.data_dir))
    monkeypatch.setenv("FRAUD_DATABASE_URL", chain.settings.resolved_database_url)
    get_settings.cache_clear()
    runner = CliRunner()

    ok = runner.invoke(app, ["evidence", "verify"])
    tamper(chain, lambda s: s.execute(
        text("UPDATE evidence_records SET actor = 'someone-else' WHERE seq = 2")))
    bad = runner.invoke(app, ["evidence", "verify"])

    assert ok.exit_code == 0, ok.output
    assert f"chain ok: {N} records, 1 signed checkpoints" in ok.output
    assert bad.exit_code == 1
    assert "first bad record: record 2: its actor column differs" in bad.output


def test_the_cli_checks_with_a_given_public_key_and_never_invents_one(
    chain: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from fraud.evidence import Signer
    from fraud.evidence.checkpoints import public_pem

    monkeypatch.setenv("FRAUD_DATABASE_URL", chain.settings.resolved_database_url)
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "elsewhere"))  # no key there
    get_settings.cache_clear()
    assert chain.signer is not None
    (tmp_path / "shop.pem").write_bytes(public_pem(chain.signer.public))
    (tmp_path / "other.pem").write_bytes(
        public_pem(Signer.load_or_create(tmp_path / "o.pem").public))
    runner = CliRunner()

    no_key = runner.invoke(app, ["evidence", "verify"])
    shop = runner.invoke(app, ["evidence", "verify", "--public-key", str(tmp_path / "shop.pem")])
    other = runner.invoke(app, ["evidence", "verify", "--public-key", str(tmp_path / "other.pem")])

    assert no_key.exit_code == 2 and "--public-key" in no_key.output
    assert not (tmp_path / "elsewhere" / "evidence-signing-key.pem").exists()
    assert shop.exit_code == 0, shop.output
    assert other.exit_code == 1 and "unknown key" in other.output

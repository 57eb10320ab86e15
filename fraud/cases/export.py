"""``fraud case export``: a bundle a police officer can open without our software.

Files: ``report.html`` (the case in words), ``evidence.jsonl`` (the exact records,
their hashes and their opened personal parts), ``notes.json`` (reviewer notes with
the salts of their commitments), ``custody.log`` (every export of the case: who,
when, why, for which reference), ``manifest.json`` + ``manifest.sig`` +
``public_key.pem`` (see :mod:`fraud.cases.bundle`). The export is itself an
evidence record, written in the same transaction and listed in the bundle: if
writing the files fails, the record is rolled back.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from fraud.cases.bundle import FORMAT, file_sha256, write_signed_manifest
from fraud.cases.cases import MAX_NAME, get_case
from fraud.cases.report import render_report
from fraud.errors import Conflict, InvalidInput
from fraud.evidence import Signer, append
from fraud.evidence.chain import time_text
from fraud.evidence.reading import Record, records_about
from fraud.store.case_store import CaseRow
from fraud.store.repository import StoredOrder, get_stored_order

MAX_REASON = 500


@dataclass(frozen=True)
class Exported:
    folder: Path
    files: dict[str, str]  # name -> SHA-256
    evidence_seq: int
    records: int


def export_case(
    session: Session,
    case_id: int,
    out: Path,
    signer: Signer,
    *,
    by: str,
    reason: str,
    reference: str | None = None,
    now: datetime | None = None,
) -> Exported:
    """Write the bundle of case ``case_id`` into the new or empty folder ``out``, record
    the export as evidence, and commit."""
    at = now or datetime.now(UTC)
    by, reason = by.strip(), reason.strip()
    if not by or len(by) > MAX_NAME:
        raise InvalidInput(f"who exports must be 1 to {MAX_NAME} characters")
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"the reason for the export must be 1 to {MAX_REASON} characters")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise Conflict(f"{out} exists and is not an empty folder")
    case = get_case(session, case_id)
    reference = reference or case.authority_ref
    record = append(
        session, kind="case_export", subject=f"case:{case_id}", actor=by, at=at,
        data={"case": case_id, "reason": reason, "reference": reference,
              "orders": list(case.order_ids)},
    )
    subjects = [f"case:{case_id}"] + [f"order:{o}" for o in case.order_ids]
    records = records_about(session, subjects, open_sealed=True)
    stored = [s for o in case.order_ids if (s := get_stored_order(session, o)) is not None]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".case-export-", dir=out.parent))
    try:
        files = _write_files(staging, case, stored, records, at, by)
        manifest = {
            "format": FORMAT,
            "case": case_id,
            "exported_at": time_text(at),
            "exported_by": by,
            "reference": reference,
            "evidence_record": {"seq": record.seq, "hash": record.hash},
            "key_id": signer.key_id,
            "files": files,
        }
        write_signed_manifest(staging, manifest, signer)
        out.mkdir(parents=True, exist_ok=True)
        for path in staging.iterdir():
            path.replace(out / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    session.commit()
    return Exported(out, files, record.seq, len(records))


def _write_files(
    folder: Path,
    case: CaseRow,
    stored: list[StoredOrder],
    records: list[Record],
    at: datetime,
    by: str,
) -> dict[str, str]:
    (folder / "report.html").write_text(
        render_report(case, stored, records, at, by), encoding="utf-8"
    )
    with (folder / "evidence.jsonl").open("w", encoding="utf-8") as out:
        for r in records:
            entry = {"seq": r.seq, "hash": r.hash, "body": r.body, "sealed": r.sealed}
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    notes = [
        {"id": n.id, "author": n.author, "at": time_text(n.at), "text": n.text, "salt": n.salt}
        for n in case.notes
    ]
    (folder / "notes.json").write_text(
        json.dumps(notes, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (folder / "custody.log").write_text(custody_log(records), encoding="utf-8")
    return {p.name: file_sha256(p) for p in sorted(folder.iterdir())}


def custody_log(records: list[Record]) -> str:
    """One line per export of the case, oldest first, this one last."""
    lines = []
    for r in records:
        if r.kind != "case_export":
            continue
        data = r.data
        lines.append(
            f"{time_text(r.at)}\texported by {r.actor}\treference: "
            f"{data.get('reference') or 'none'}\treason: {data.get('reason')}\t"
            f"orders: {len(data.get('orders', []))}\tevidence record {r.seq} ({r.hash})"
        )
    return "\n".join(lines) + "\n"

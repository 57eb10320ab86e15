"""The case bundle's integrity files, and checking a bundle offline.

``manifest.json`` (canonical JSON) lists every other file with its SHA-256;
``manifest.sig`` holds the Ed25519 signature over ``manifest.json``'s bytes and the
public key; ``public_key.pem`` is the same key for ``openssl``. Checking needs
nothing of this service: see docs/evidence.md for the same checks by hand.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fraud.evidence.canonical import canonical, digest
from fraud.evidence.checkpoints import Signer, key_id_of, load_public_pem, public_pem

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
FORMAT = "fraud-case-bundle/1"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def write_signed_manifest(folder: Path, manifest: dict[str, Any], signer: Signer) -> None:
    """Write manifest.json, its signature and the public key into ``folder``."""
    raw = canonical(manifest)
    (folder / MANIFEST).write_bytes(raw)
    signature = base64.b64encode(signer.sign(raw)).decode()
    public = base64.b64encode(
        signer.public.public_bytes_raw()
    ).decode()
    (folder / SIGNATURE).write_text(
        "algorithm: Ed25519\n"
        f"signed-file: {MANIFEST}\n"
        f"signature: {signature}\n"
        f"public-key: {public}\n"
        f"key-id: {signer.key_id}\n",
        encoding="utf-8",
    )
    (folder / PUBLIC_KEY).write_bytes(public_pem(signer.public))


@dataclass
class BundleReport:
    key_id: str | None = None
    files: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(folder: Path, expected_key: Ed25519PublicKey | None = None) -> BundleReport:
    """Check a bundle: the manifest's signature, every file against the manifest, the
    evidence records' hashes, links and commitments. Says what was altered."""
    report = BundleReport()
    if not folder.is_dir():
        report.problems.append(f"{folder} is not a folder")
        return report
    manifest = _signed_manifest(folder, expected_key, report)
    if manifest is None:
        return report
    listed: dict[str, str] = manifest.get("files", {})
    for name, expected in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            report.problems.append(f"{name} is missing")
        elif file_sha256(path) != expected:
            report.problems.append(f"{name} was altered (its SHA-256 differs from the manifest)")
        report.files += 1
    known = set(listed) | {MANIFEST, SIGNATURE, PUBLIC_KEY}
    for path in sorted(folder.iterdir()):
        if path.name not in known:
            report.problems.append(f"{path.name} was added (not in the manifest)")
    if (folder / "evidence.jsonl").is_file():
        _check_records(folder / "evidence.jsonl", _notes(folder, report), report)
    return report


def _notes(folder: Path, report: BundleReport) -> dict[int, dict[str, Any]]:
    path = folder / "notes.json"
    if not path.is_file():
        return {}
    try:
        return {int(n["id"]): n for n in json.loads(path.read_text(encoding="utf-8"))}
    except (ValueError, KeyError, TypeError):
        report.problems.append("notes.json is not readable")
        return {}


def _signed_manifest(
    folder: Path, expected_key: Ed25519PublicKey | None, report: BundleReport
) -> dict[str, Any] | None:
    try:
        raw = (folder / MANIFEST).read_bytes()
        fields = dict(
            line.split(": ", 1)
            for line in (folder / SIGNATURE).read_text(encoding="utf-8").splitlines()
            if ": " in line
        )
    except OSError as exc:
        report.problems.append(f"cannot read the manifest or its signature: {exc.strerror}")
        return None
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(fields["public-key"]))
        signature = base64.b64decode(fields["signature"], validate=True)
    except (KeyError, ValueError):
        report.problems.append(f"{SIGNATURE} is damaged (no readable key or signature)")
        return None
    report.key_id = key_id_of(key)
    if expected_key is not None and key_id_of(expected_key) != report.key_id:
        report.problems.append(
            f"signed by key {report.key_id[:16]}, not by the expected key "
            f"{key_id_of(expected_key)[:16]}"
        )
    pem = folder / PUBLIC_KEY
    if pem.is_file():
        try:
            if key_id_of(load_public_pem(pem.read_bytes())) != report.key_id:
                report.problems.append(f"{PUBLIC_KEY} differs from the key in {SIGNATURE}")
        except ValueError:
            report.problems.append(f"{PUBLIC_KEY} is not a valid public key")
    try:
        key.verify(signature, raw)
    except InvalidSignature:
        report.problems.append(
            f"{MANIFEST} or {SIGNATURE} was altered (the signature does not match)"
        )
        return None
    try:
        manifest: dict[str, Any] = json.loads(raw)
    except ValueError:
        report.problems.append(f"{MANIFEST} is not JSON")
        return None
    return manifest


def _check_records(
    path: Path, notes: dict[int, dict[str, Any]], report: BundleReport
) -> None:
    previous: tuple[int, str] | None = None
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"evidence.jsonl line {lineno}"
        try:
            entry = json.loads(line)
            body_text = entry["body"]
            body = json.loads(body_text)
            seq = int(entry["seq"])
        except (ValueError, KeyError, TypeError):
            report.problems.append(f"{where}: not a readable evidence record")
            continue
        report.records += 1
        if hashlib.sha256(body_text.encode("utf-8")).hexdigest() != entry.get("hash"):
            report.problems.append(f"{where} (record {seq}): its hash does not match its body")
        if body.get("seq") != seq:
            report.problems.append(f"{where}: says record {seq}, its body {body.get('seq')}")
        sealed = entry.get("sealed")
        committed = (body.get("data") or {}).get("personal", {}).get("commitment")
        if sealed is not None and (
            committed is None or hashlib.sha256(sealed.encode()).hexdigest() != committed
        ):
            report.problems.append(
                f"{where} (record {seq}): its personal data does not match the commitment"
            )
        if entry_kind(body) == "case_note":
            note = notes.get(int(body["data"].get("note", -1)))
            if note is not None and digest(
                {"salt": note.get("salt"), "text": note.get("text")}
            ) != body["data"].get("commitment"):
                report.problems.append(
                    f"notes.json: note {note['id']} does not match its commitment in record {seq}"
                )
        if previous is not None and previous[0] + 1 == seq and body.get("prev") != previous[1]:
            report.problems.append(f"{where} (record {seq}): does not link to record {seq - 1}")
        previous = (seq, entry.get("hash", ""))


def entry_kind(body: dict[str, Any]) -> str | None:
    kind = body.get("kind")
    return kind if isinstance(kind, str) else None

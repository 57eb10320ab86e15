"""The case bundle: files a police officer can open and check offline; fraudster text
escaped; every alteration named; the export itself recorded as evidence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from evidence_helpers import records, trusted
from factories import make_order
from typer.testing import CliRunner

from fraud.cases import add_note, export_case, open_case, set_status, verify_bundle
from fraud.cli import app
from fraud.errors import Conflict
from fraud.evidence import Signer, verify_chain
from fraud.evidence.checkpoints import public_pem
from fraud.runtime import Runtime
from fraud.settings import get_settings

HOSTILE_NAME = '<script>alert("name")</script> Jan'
HOSTILE_NOTE = "Said: <img src=x onerror=alert(1)> & left"


def make_case(runtime: Runtime) -> int:
    first = make_order(customer={"name": HOSTILE_NAME, "email": "ring@example.net"},
                       device_id="dev-ring")
    second = make_order(customer={"email": "ring@example.net"}, device_id="dev-ring")
    for order in (first, second):
        runtime.score(order)
    with runtime.sessions() as session:
        case = open_case(session, "Ring <b>bold</b>", "alice",
                         [first.order_id, second.order_id])
        add_note(session, case.id, "alice", HOSTILE_NOTE)
        set_status(session, case.id, "reported", "alice", authority_ref="PR-2026-0042")
    return case.id


def export(runtime: Runtime, case_id: int, out: Path, by: str = "alice") -> None:
    assert runtime.signer is not None
    with runtime.sessions() as session:
        export_case(session, case_id, out, runtime.signer, by=by,
                    reason="police request")


def test_the_bundle_holds_every_file_and_verifies(runtime: Runtime, tmp_path: Path) -> None:
    case_id = make_case(runtime)
    out = tmp_path / "bundle"
    export(runtime, case_id, out)

    names = sorted(p.name for p in out.iterdir())
    report = verify_bundle(out)
    lines = (out / "evidence.jsonl").read_text().splitlines()

    assert names == ["custody.log", "evidence.jsonl", "manifest.json", "manifest.sig",
                     "notes.json", "public_key.pem", "report.html"]
    assert report.ok, report.problems
    assert runtime.signer is not None and report.key_id == runtime.signer.key_id
    kinds = [json.loads(json.loads(line)["body"])["kind"] for line in lines]
    assert kinds.count("decision") == 2 and kinds[-1] == "case_export"
    assert all(json.loads(line)["sealed"] for line in lines
               if json.loads(json.loads(line)["body"])["kind"] == "decision")


def test_fraudster_text_is_escaped_and_the_report_needs_nothing_online(
    runtime: Runtime, tmp_path: Path
) -> None:
    case_id = make_case(runtime)
    export(runtime, case_id, tmp_path / "b")
    html = (tmp_path / "b" / "report.html").read_text()

    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; Jan" in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; left" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "PR-2026-0042" in html and "ring@example.net" in html


def test_the_export_is_itself_evidence_and_the_custody_log_lists_every_export(
    runtime: Runtime, tmp_path: Path
) -> None:
    case_id = make_case(runtime)
    export(runtime, case_id, tmp_path / "first", by="alice")
    export(runtime, case_id, tmp_path / "second", by="bob")

    custody = (tmp_path / "second" / "custody.log").read_text().splitlines()
    with runtime.sessions() as session:
        exports = [r for r in records(session) if r.kind == "case_export"]
        assert verify_chain(session, trusted(runtime)).ok

    assert [r.actor for r in exports] == ["alice", "bob"]
    assert len(custody) == 2
    assert "exported by alice" in custody[0] and "exported by bob" in custody[1]
    assert all("reference: PR-2026-0042" in line and "reason: police request" in line
               for line in custody)


def test_an_export_into_a_folder_with_files_is_refused_and_records_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    case_id = make_case(runtime)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with runtime.sessions() as session:
        before = len(records(session))
    with pytest.raises(Conflict, match="not an empty folder"):
        export(runtime, case_id, tmp_path / "full")
    with runtime.sessions() as session:
        assert len(records(session)) == before


@pytest.mark.parametrize(
    "alter, named",
    [
        (lambda d: (d / "report.html").write_text("<p>nothing happened</p>"),
         "report.html was altered"),
        (lambda d: (d / "evidence.jsonl").unlink(), "evidence.jsonl is missing"),
        (lambda d: (d / "extra.pdf").write_bytes(b"%PDF"), "extra.pdf was added"),
        (lambda d: (d / "manifest.json").write_text(
            (d / "manifest.json").read_text().replace("alice", "mallory")),
         "signature does not match"),
        (lambda d: (d / "custody.log").write_text("nobody exported this\n"),
         "custody.log was altered"),
    ],
    ids=["report", "deleted", "added", "manifest", "custody"],
)
def test_verify_names_what_was_altered(
    runtime: Runtime, tmp_path: Path, alter, named: str  # noqa: ANN001
) -> None:
    case_id = make_case(runtime)
    out = tmp_path / "b"
    export(runtime, case_id, out)
    alter(out)
    report = verify_bundle(out)
    assert not report.ok
    assert any(named in p for p in report.problems), report.problems


def test_a_bundle_re_signed_with_another_key_fails_against_the_shops_key(
    runtime: Runtime, tmp_path: Path
) -> None:
    from fraud.cases.bundle import write_signed_manifest

    case_id = make_case(runtime)
    out = tmp_path / "b"
    export(runtime, case_id, out)
    manifest = json.loads((out / "manifest.json").read_text())
    forger = Signer.load_or_create(tmp_path / "forger.pem")
    write_signed_manifest(out, manifest, forger)
    assert runtime.signer is not None

    assert verify_bundle(out).ok  # consistent in itself...
    report = verify_bundle(out, runtime.signer.public)  # ...but not the shop's key
    assert any("not by the expected key" in p for p in report.problems)


def test_the_cli_opens_exports_and_verifies_a_case(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRAUD_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("FRAUD_DATABASE_URL", runtime.settings.resolved_database_url)
    get_settings.cache_clear()
    order = make_order()
    runtime.score(order)
    cli = CliRunner()

    opened = cli.invoke(app, ["case", "open", "--title", "t", "--owner", "alice",
                              "--order", order.order_id])
    case_id = opened.output.strip()
    exported = cli.invoke(app, ["case", "export", case_id, "--out", str(tmp_path / "b"),
                                "--by", "alice", "--reason", "police request"])
    assert runtime.signer is not None
    (tmp_path / "shop.pem").write_bytes(public_pem(runtime.signer.public))
    ok = cli.invoke(app, ["case", "verify", str(tmp_path / "b"),
                          "--public-key", str(tmp_path / "shop.pem")])
    (tmp_path / "b" / "notes.json").write_text("[{\"id\": 1, \"text\": \"invented\"}]")
    bad = cli.invoke(app, ["case", "verify", str(tmp_path / "b")])
    missing = cli.invoke(app, ["case", "add", case_id, "O-nowhere", "--by", "bob"])
    (tmp_path / "a-file").write_text("x")
    unwritable = cli.invoke(app, ["case", "export", case_id, "--out",
                                  str(tmp_path / "a-file" / "b"), "--by", "alice",
                                  "--reason", "r"])

    assert opened.exit_code == 0 and case_id.isdigit(), opened.output
    assert exported.exit_code == 0, exported.output
    assert ok.exit_code == 0 and "bundle ok" in ok.output, ok.output
    assert bad.exit_code == 1 and "ALTERED: notes.json was altered" in bad.output
    assert missing.exit_code == 1 and "O-nowhere" in missing.output
    assert unwritable.exit_code == 1 and "cannot write the bundle" in unwritable.output

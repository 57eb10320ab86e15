"""``fraud case open | add | suggest | status | owner | note | show | list | export | verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fraud.cli.common import fail, open_session, settings_or_exit
from fraud.errors import FraudError

app = typer.Typer(help="Cases: orders of one fraud, exported for the authorities.",
                  no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="Who does this (recorded as evidence)")]


def _show(case) -> None:  # noqa: ANN001 - fraud.store.case_store.CaseRow
    typer.echo(f"case {case.id}: {case.title}")
    typer.echo(f"  status {case.status}, owner {case.owner}, "
               f"authority reference {case.authority_ref or 'none'}")
    typer.echo(f"  orders: {', '.join(case.order_ids) or 'none'}")
    for note in case.notes:
        typer.echo(f"  note {note.id} by {note.author} at {note.at:%Y-%m-%d %H:%M}: {note.text}")


def _run(action):  # noqa: ANN001, ANN202 - a function of a session
    with open_session(settings_or_exit()) as session:
        try:
            return action(session)
        except FraudError as exc:
            raise fail(exc.message) from None


@app.command("open")
def case_open(
    title: Annotated[str, typer.Option("--title", help="What the case is about")],
    owner: Annotated[str, typer.Option("--owner", help="Who works the case")],
    order: Annotated[list[str] | None, typer.Option("--order", help="An order id (repeat)")] = None,
) -> None:
    """Open a case, optionally with orders; prints its id."""
    from fraud.cases import open_case

    case = _run(lambda s: open_case(s, title, owner, order or []))
    typer.echo(case.id)


@app.command("add")
def case_add(case_id: int, order_ids: list[str], by: By) -> None:
    """Add stored orders to a case."""
    from fraud.cases import add_orders

    _show(_run(lambda s: add_orders(s, case_id, order_ids, by)))


@app.command("suggest")
def case_suggest(case_id: int, limit: int = 20) -> None:
    """Orders sharing an IP, device, e-mail, phone, card, address or account with the
    case's orders, strongest link first."""
    from fraud.cases import get_case, suggest_orders

    def run(session):  # noqa: ANN001, ANN202
        return suggest_orders(session, get_case(session, case_id).order_ids, limit)

    found = _run(run)
    if not found:
        typer.echo("no linked orders outside the case")
    for s in found:
        typer.echo(f"{s.order_id}\tweight {s.weight:.3f}\tvia {', '.join(s.via)}")


@app.command("status")
def case_status(
    case_id: int,
    status: Annotated[str, typer.Argument(help="open, reported or closed")],
    by: By,
    reference: Annotated[str | None, typer.Option(help="Authority reference")] = None,
) -> None:
    """Set a case's status (and the authority's reference, e.g. a police report number)."""
    from fraud.cases import set_status

    _show(_run(lambda s: set_status(s, case_id, status, by, authority_ref=reference)))


@app.command("owner")
def case_owner(case_id: int, owner: str, by: By) -> None:
    """Hand a case to another owner."""
    from fraud.cases import set_owner

    _show(_run(lambda s: set_owner(s, case_id, owner, by)))


@app.command("note")
def case_note(case_id: int, text: str, by: By) -> None:
    """Add a reviewer note to a case."""
    from fraud.cases import add_note

    _show(_run(lambda s: add_note(s, case_id, by, text)))


@app.command("show")
def case_show(case_id: int) -> None:
    from fraud.cases import get_case

    _show(_run(lambda s: get_case(s, case_id)))


@app.command("list")
def case_list() -> None:
    from fraud.cases import list_cases

    for case in _run(list_cases):
        typer.echo(f"{case.id}\t{case.status}\t{case.owner}\t{len(case.order_ids)} orders\t"
                   f"{case.title}")


@app.command("export")
def case_export(
    case_id: int,
    out: Annotated[Path, typer.Option("--out", help="New or empty folder for the bundle")],
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="Why it is exported")],
    reference: Annotated[str | None, typer.Option(help="Authority reference")] = None,
) -> None:
    """Write the case's bundle (report.html, evidence.jsonl, notes.json, custody.log,
    signed manifest) for the authorities; the export is recorded as evidence."""
    from fraud.cases import export_case
    from fraud.evidence import Signer

    settings = settings_or_exit()
    try:
        signer = Signer.load_or_create(settings.resolved_evidence_key_path)
    except FraudError as exc:
        raise fail(exc.message, 2) from None
    try:
        done = _run(lambda s: export_case(s, case_id, out, signer, by=by, reason=reason,
                                          reference=reference))
    except OSError as exc:  # nothing was recorded: the export's record rolled back
        raise fail(f"cannot write the bundle to {out}: {exc.strerror or exc}") from None
    typer.echo(f"exported case {case_id} to {done.folder}: {len(done.files)} files, "
               f"{done.records} evidence records; export recorded as record {done.evidence_seq}")


@app.command("verify")
def case_verify(
    folder: Path,
    public_key: Annotated[
        Path | None, typer.Option(help="PEM key the bundle must be signed with")
    ] = None,
) -> None:
    """Check a case bundle offline: signature, every file, every record. Exit code 1
    and what was altered when anything was."""
    from fraud.cases import verify_bundle
    from fraud.cli.common import existing_file
    from fraud.evidence.checkpoints import load_public_pem

    expected = None
    if public_key is not None:
        path = existing_file(public_key, "public key")
        assert path is not None
        try:
            expected = load_public_pem(path.read_bytes())
        except FraudError as exc:
            raise fail(f"public key {path}: {exc.message}", 2) from None
    report = verify_bundle(folder, expected)
    if report.ok:
        typer.echo(f"bundle ok: {report.files} files and {report.records} evidence records "
                   f"match the manifest signed by key {report.key_id}")
        return
    for problem in report.problems:
        typer.echo(f"ALTERED: {problem}")
    raise fail(f"bundle {folder} does NOT verify: {len(report.problems)} problem(s)")

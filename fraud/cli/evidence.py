"""``fraud evidence verify | checkpoint | key``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fraud.cli.common import fail, open_session, settings_or_exit
from fraud.errors import FraudError

app = typer.Typer(help="The evidence chain: verify it, sign its head.", no_args_is_help=True)

MAX_PROBLEMS_SHOWN = 20


def _signer():  # noqa: ANN202 - fraud.evidence.Signer
    from fraud.evidence import Signer

    try:
        return Signer.load_or_create(settings_or_exit().resolved_evidence_key_path)
    except FraudError as exc:
        raise fail(exc.message, 2) from None


def _trusted_key(public_key: Path | None):  # noqa: ANN202 - Ed25519PublicKey
    """The key checkpoints must be signed with: given as PEM, or the service's own
    (never created here: a new key would vouch for nothing)."""
    from fraud.cli.common import existing_file
    from fraud.evidence.checkpoints import load_public_pem

    if public_key is None:
        path = settings_or_exit().resolved_evidence_key_path
        if not path.exists():
            raise fail(f"no signing key at {path}: give the shop's key with --public-key", 2)
        return _signer().public
    found = existing_file(public_key, "public key")
    assert found is not None
    try:
        return load_public_pem(found.read_bytes())
    except FraudError as exc:
        raise fail(f"public key {found}: {exc.message}", 2) from None


@app.command("verify")
def evidence_verify(
    public_key: Annotated[
        Path | None,
        typer.Option(help="PEM public key the checkpoints must be signed with "
                     "(default: the service's own key)"),
    ] = None,
) -> None:
    """Check every record, the chain's head and every signed checkpoint; name the first
    bad record. Exit code 1 when anything is wrong."""
    from fraud.evidence import verify_chain
    from fraud.evidence.checkpoints import key_id_of

    key = _trusted_key(public_key)
    key_id = key_id_of(key)
    with open_session(settings_or_exit()) as session:
        report = verify_chain(session, {key_id: key})
    if report.ok:
        typer.echo(
            f"chain ok: {report.records} records, {report.checkpoints} signed checkpoints "
            f"(key {key_id[:16]})"
        )
        return
    typer.echo(f"first bad record: {report.first_bad}")
    for problem in sorted(report.problems, key=lambda p: p.seq)[:MAX_PROBLEMS_SHOWN]:
        typer.echo(f"  {problem}")
    more = len(report.problems) - MAX_PROBLEMS_SHOWN
    if more > 0:
        typer.echo(f"  ... and {more} more")
    raise fail(f"evidence chain NOT intact: {len(report.problems)} problem(s)")


@app.command("checkpoint")
def evidence_checkpoint() -> None:
    """Sign the chain's head now (the service also does every N records and at shutdown)."""
    from fraud.evidence import write_checkpoint

    signer = _signer()
    with open_session(settings_or_exit()) as session:
        cp = write_checkpoint(session, signer)
    typer.echo("nothing to sign" if cp is None else f"signed checkpoint at record {cp.seq}")


@app.command("key")
def evidence_key() -> None:
    """Print the public key (PEM) that checks checkpoints and case bundles, and its id."""
    from fraud.evidence.checkpoints import public_pem

    signer = _signer()
    typer.echo(public_pem(signer.public).decode().rstrip())
    typer.echo(f"key id (SHA-256 of the raw key): {signer.key_id}")

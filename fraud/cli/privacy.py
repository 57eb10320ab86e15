"""``fraud privacy erase | export | purge``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fraud.cli.common import fail, note, open_session, settings_or_exit
from fraud.errors import FraudError

app = typer.Typer(help="Customers' personal data: erasure, access, retention.",
                  no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="Who asks (recorded as evidence)")]


@app.command("erase")
def privacy_erase(
    by: By,
    email: Annotated[str | None, typer.Option(help="The customer's e-mail address")] = None,
    customer: Annotated[str | None, typer.Option(help="The customer's shop account id")] = None,
) -> None:
    """Erase a customer's personal data (orders, decisions, evidence), unless one of
    their orders is in a case that is not closed: then refuse, naming the case, and
    record the request. The evidence chain still verifies afterwards."""
    from fraud.privacy import erase_customer

    with open_session(settings_or_exit()) as session:
        try:
            done = erase_customer(session, email=email, account_id=customer, by=by)
        except FraudError as exc:
            raise fail(exc.message) from None
    typer.echo(f"erased: {done.orders} orders, {done.customers} evidence keys destroyed, "
               f"{done.sealed_parts} sealed parts deleted, {done.account_events} account events "
               f"deleted; recorded as record {done.evidence_seq}")


@app.command("export")
def privacy_export(
    email: Annotated[str, typer.Option(help="The customer's e-mail address")],
    by: By,
    out: Annotated[Path | None, typer.Option(help="Write to this file (default: stdout)")] = None,
) -> None:
    """Everything stored about a customer, as JSON (right of access)."""
    from fraud.privacy import export_customer_data

    with open_session(settings_or_exit()) as session:
        try:
            data = export_customer_data(session, email, by=by)
        except FraudError as exc:
            raise fail(exc.message) from None
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        note(f"wrote {len(data['orders'])} orders and {len(data['account_events'])} account "
             f"events to {out}")


@app.command("purge")
def privacy_purge(
    by: Annotated[str, typer.Option("--by", help="Who runs it")] = "retention",
) -> None:
    """Pseudonymise orders older than FRAUD_RETENTION_DAYS that are in no case, and delete
    account events older than that."""
    from fraud.privacy import purge

    settings = settings_or_exit()
    with open_session(settings) as session:
        done = purge(session, settings.retention_days, by=by)
    typer.echo(f"purged {done.orders} orders and {done.account_events} account events from "
               f"before {done.cutoff:%Y-%m-%d %H:%M} UTC")

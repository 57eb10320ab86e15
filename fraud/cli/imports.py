"""``fraud import ecommerce``: the public e-commerce fraud data set as order files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fraud.importers.ecommerce import load_ecommerce
from fraud.importers.files import ORDER_FILES, OrderFormat, write_import

app = typer.Typer(help="Import orders from other formats.", no_args_is_help=True)


@app.command("ecommerce")
def import_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="Folder holding Fraud_Data*.csv (and IpAddress_to_Country*.csv), "
            "or the purchases CSV itself."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write the order files into.")
    ] = Path("imported/ecommerce"),
    fmt: Annotated[
        OrderFormat, typer.Option("--format", help="Format of the orders file.")
    ] = OrderFormat.JSONL,
) -> None:
    """Import the public e-commerce fraud data set as orders, outcomes and extras.

    Writes ORDERS (orders.jsonl.gz by default), outcomes.jsonl.gz (each label
    known 30 days after its purchase), extras.csv.gz (source, sex, age: analysis
    only) and source.json (signals to skip, placeholder features, skipped rows).
    """
    from fraud.errors import FraudError

    try:
        data = load_ecommerce(path)
    except FraudError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    description = write_import(data, out, fmt)
    typer.echo(
        f"{description['orders']} orders from {data.purchases_path} -> {out}/{ORDER_FILES[fmt]}"
    )
    for bad in data.bad_rows:
        typer.echo(f"skipped line {bad.line}: {bad.reason}", err=True)
    if data.geo is None:
        typer.echo("no IP-to-country table found: the geo signal is unavailable", err=True)
    typer.echo(f"signals unavailable for this source: {', '.join(description['skip_signals'])}")

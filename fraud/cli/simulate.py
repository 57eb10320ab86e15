"""``fraud simulate``: write simulated shop traffic, its outcomes and ground truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from fraud.simulate.io import FORMATS


def simulate_command(
    orders: Annotated[int, typer.Option(help="How many orders to generate", min=1)] = 20_000,
    days: Annotated[int, typer.Option(help="Days of traffic", min=1)] = 90,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files")] = 0,
    out: Annotated[Path, typer.Option(
        help="Orders file (.jsonl, .jsonl.gz, .parquet, .csv)")] = Path("orders.jsonl.gz"),
    outcomes_out: Annotated[Path | None, typer.Option(
        help="Outcome events (JSONL); default: next to --out as *outcomes.jsonl.gz")] = None,
    truth_out: Annotated[Path | None, typer.Option(
        help="Ground truth CSV (evaluation only); default: next to --out as *truth.csv.gz")] = None,
    start: Annotated[str | None, typer.Option(
        help="First day, ISO date (default 2025-09-01, Europe/Amsterdam)")] = None,
    format: Annotated[str | None, typer.Option(  # noqa: A002 - the option is called --format
        "--format", help=f"Orders file format: {', '.join(FORMATS)} (default: from --out)")] = None,
) -> None:
    """Generate realistic car-parts shop orders with labelled fraud hidden among honest ones."""
    from fraud.simulate import simulate
    from fraud.simulate.io import detect_format

    fmt = format or detect_format(out)
    if fmt not in FORMATS:
        typer.echo(f"error: unknown format {fmt!r}; use one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    began = time.perf_counter()
    try:
        sim = simulate(orders, days=days, seed=seed, start=start)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    outcomes_path = outcomes_out or _beside(out, "outcomes.jsonl.gz")
    truth_path = truth_out or _beside(out, "truth.csv.gz")
    for path in (out, outcomes_path, truth_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    written = sim.write(out, fmt)
    events = sim.write_outcomes(outcomes_path)
    sim.write_truth(truth_path)
    took = time.perf_counter() - began
    fraud = int(sim.truth()["is_fraud"].sum())
    typer.echo(f"{written} orders ({fraud} fraudulent, {fraud / written:.2%}) -> {out}")
    typer.echo(f"{events} outcome events -> {outcomes_path}")
    typer.echo(f"ground truth -> {truth_path}")
    typer.echo(f"{took:.1f} s, {written / took:,.0f} orders/s")


def _beside(out: Path, suffix: str) -> Path:
    """'x/orders.jsonl.gz' -> 'x/outcomes.jsonl.gz'; other names get the suffix appended."""
    name = out.name
    for ext in (".jsonl.gz", ".jsonl", ".parquet", ".csv.gz", ".csv"):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    stem = name.removesuffix("orders").rstrip("_-.")
    return out.with_name(f"{stem}_{suffix}" if stem else suffix)

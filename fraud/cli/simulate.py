"""``fraud simulate``: write simulated shop traffic, its outcomes and ground truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from fraud.cli.common import fail
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
    events_out: Annotated[Path | None, typer.Option(
        help="Account events (logins and account changes, JSONL as POST /v1/events takes "
        "them); default: next to --out as *events.jsonl.gz")] = None,
    start: Annotated[str | None, typer.Option(
        help="First day, ISO date (default 2025-09-01, Europe/Amsterdam)")] = None,
    format: Annotated[str | None, typer.Option(  # noqa: A002 - the option is called --format
        "--format", help=f"Orders file format: {', '.join(FORMATS)} (default: from --out)")] = None,
    shop: Annotated[str | None, typer.Option(
        help="Which shop: 'default' (the one the project was built on), 'random' (another "
        "shop of the family, drawn from --shop-seed) or a shop JSON file as written beside "
        "the orders (default: 'default', or 'random' with --shops)")] = None,
    shop_seed: Annotated[int | None, typer.Option(
        help="Seed that draws a random shop (default: --seed)")] = None,
    shops: Annotated[int, typer.Option(
        help="Simulate this many shops at once, into files shop01_*, shop02_*... beside "
        "--out; the n-th gets shop seed --shop-seed + n - 1 and seed --seed + n - 1",
        min=1)] = 1,
    pool: Annotated[bool, typer.Option(
        help="With --shops: also write all shops as one training set, pooled_orders.jsonl.gz, "
        "pooled_outcomes.jsonl.gz, pooled_truth.csv.gz (with a shop column) and "
        "pooled_events.jsonl.gz beside --out; ids are prefixed S1-, S2-... so shops never "
        "link")] = False,
) -> None:
    """Generate realistic car-parts shop orders with labelled fraud hidden among honest ones."""
    from fraud.simulate import ShopConfig, simulate
    from fraud.simulate.io import detect_format
    from fraud.simulate.shop import resolve

    fmt = format or detect_format(out)
    if fmt not in FORMATS:
        raise fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", 2)
    if shops > 1 and (outcomes_out or truth_out or events_out):
        raise fail("with --shops, outcomes, truth and events files are named after --out; "
                   "leave out --outcomes-out, --truth-out and --events-out", 2)
    if pool and shops < 2:
        raise fail("--pool needs --shops 2 or more", 2)
    from fraud.simulate.family import ShopRun, write_pooled

    base_shop_seed = seed if shop_seed is None else shop_seed
    choice = shop or ("random" if shops > 1 else "default")
    runs = []
    for i in range(shops):
        began = time.perf_counter()
        try:
            config = resolve(choice, base_shop_seed + i)
            sim = simulate(orders, days=days, seed=seed + i, start=start, shop=config)
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        target = out if shops == 1 else out.with_name(f"shop{i + 1:02d}_{out.name}")
        outcomes_path = (outcomes_out if shops == 1 else None) or _beside(
            target, "outcomes.jsonl.gz")
        truth_path = (truth_out if shops == 1 else None) or _beside(target, "truth.csv.gz")
        events_path = (events_out if shops == 1 else None) or _beside(target, "events.jsonl.gz")
        for path in (target, outcomes_path, truth_path, events_path):
            path.parent.mkdir(parents=True, exist_ok=True)
        written = sim.write(target, fmt)
        events = sim.write_outcomes(outcomes_path)
        sim.write_truth(truth_path)
        posted = sim.write_events(events_path)
        took = time.perf_counter() - began
        fraud = int(sim.truth()["is_fraud"].sum())
        if config != ShopConfig.default():
            shop_path = _beside(target, "shop.json")
            config.write(shop_path)
            typer.echo(f"{config.summary()} -> {shop_path}")
        typer.echo(f"{written} orders ({fraud} fraudulent, {fraud / written:.2%}) -> {target}")
        typer.echo(f"{events} outcome events -> {outcomes_path}")
        typer.echo(f"{posted} account events (logins and account changes) -> {events_path}")
        typer.echo(f"ground truth -> {truth_path}")
        typer.echo(f"{took:.1f} s, {written / took:,.0f} orders/s")
        if pool:
            runs.append(ShopRun(f"S{i + 1}", config, sim))
    if pool:
        paths = [out.parent / f"pooled_{name}" for name in (
            "orders.jsonl.gz", "outcomes.jsonl.gz", "truth.csv.gz", "events.jsonl.gz")]
        count = write_pooled(runs, *paths)
        typer.echo(f"{count} orders of {len(runs)} shops pooled -> "
                   + ", ".join(str(p) for p in paths))


def _beside(out: Path, suffix: str) -> Path:
    """'x/orders.jsonl.gz' -> 'x/outcomes.jsonl.gz'; other names get the suffix appended."""
    name = out.name
    for ext in (".jsonl.gz", ".jsonl", ".parquet", ".csv.gz", ".csv"):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    stem = name.removesuffix("orders").rstrip("_-.")
    return out.with_name(f"{stem}_{suffix}" if stem else suffix)

"""An imported data set written as order files: orders, outcomes, extras, source.json."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from fraud.importers.ecommerce import (
    CURRENCY,
    LABEL_DELAY,
    PLACEHOLDER_FEATURES,
    SOURCE,
    EcommerceData,
)


class OrderFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


ORDER_FILES = {
    OrderFormat.JSONL: "orders.jsonl.gz",
    OrderFormat.CSV: "orders.csv.gz",
    OrderFormat.PARQUET: "orders.parquet",
}


def order_records(data: EcommerceData) -> list[dict[str, Any]]:
    """Orders as JSON-shaped dicts (absent optional fields left out)."""
    return [o.model_dump(mode="json", exclude_none=True) for o in data.orders]


def outcome_records(data: EcommerceData) -> list[dict[str, str]]:
    """Outcome events as ``{order_id, outcome, at}``, in time order."""
    events = sorted(data.outcomes, key=lambda e: (e[2], e[0]))
    return [{"order_id": i, "outcome": o.value, "at": at.isoformat()} for i, o, at in events]


def source_description(data: EcommerceData) -> dict[str, Any]:
    """What a reader of the files must know: skipped signals, placeholders, label timing."""
    return {
        "source": SOURCE,
        "purchases_file": data.purchases_path.name,
        "ip_table_file": data.ip_table_path.name if data.ip_table_path else None,
        "orders": len(data.orders),
        "skip_signals": sorted(data.skip),
        "placeholder_features": sorted(PLACEHOLDER_FEATURES),
        "currency": CURRENCY,
        "times": "UTC (assumed: the source gives no time zone)",
        "label_known_after_days": LABEL_DELAY.days,
        "bad_rows": [{"line": b.line, "reason": b.reason} for b in data.bad_rows],
    }


def write_import(data: EcommerceData, out: Path, fmt: OrderFormat = OrderFormat.JSONL) -> dict:
    """Write orders, outcomes, extras and a source description into folder ``out``."""
    from fraud.simulate.io import write_jsonl, write_table

    out.mkdir(parents=True, exist_ok=True)
    orders = order_records(data)
    if fmt is OrderFormat.JSONL:
        write_jsonl(orders, out / ORDER_FILES[fmt])
    else:
        write_table(orders, out / ORDER_FILES[fmt], fmt.value)
    write_jsonl(outcome_records(data), out / "outcomes.jsonl.gz")
    data.extras.to_csv(out / "extras.csv.gz")
    description = source_description(data)
    (out / "source.json").write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    return description

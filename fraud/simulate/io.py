"""Writing and reading simulated orders, outcomes and ground truth: JSON lines
(optionally gzipped), Parquet or CSV (orders flattened to dotted columns).
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

try:  # orjson is several times faster; the standard library does the same job
    import orjson

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover - depends on the environment
    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()

FORMATS = ("jsonl", "parquet", "csv")


def iso_times(epoch: np.ndarray, tz: str = "Europe/Amsterdam") -> np.ndarray:
    """Epoch seconds as ISO 8601 text in the shop's local time, with its UTC offset."""
    utc = pd.to_datetime(np.asarray(epoch, dtype=np.int64), unit="s", utc=True)
    local = utc.tz_convert(tz).tz_localize(None)
    offset = np.asarray((local - utc.tz_localize(None)).total_seconds() // 60, dtype=np.int64)
    text = np.datetime_as_string(local.values.astype("datetime64[s]"), unit="s").astype(object)
    suffix = {m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
              for m in np.unique(offset).tolist()}
    return text + np.array([suffix[m] for m in offset.tolist()], dtype=object)


def cents_text(cents: np.ndarray) -> list[str]:
    return [f"{c // 100}.{c % 100:02d}" for c in np.asarray(cents).tolist()]


def open_binary(path: Path, mode: str) -> gzip.GzipFile | IO[bytes]:
    """Gzip when the name ends in .gz; opened for binary reading or writing."""
    if str(path).endswith(".gz"):
        # mtime=0: the same data gives the same bytes (the header holds no clock time)
        return gzip.GzipFile(path, mode + "b", compresslevel=6, mtime=0)
    return open(path, mode + "b")  # noqa: SIM115 - the caller closes it


def write_jsonl(records: Iterable[dict], path: Path) -> int:
    """One JSON object a line; returns how many were written."""
    count = 0
    with open_binary(path, "w") as fh:
        buffer = []
        for record in records:
            buffer.append(_dumps(record))
            count += 1
            if len(buffer) >= 10_000:
                fh.write(b"\n".join(buffer) + b"\n")
                buffer = []
        if buffer:
            fh.write(b"\n".join(buffer) + b"\n")
    return count


def write_lines(lines: Iterable[str], path: Path) -> int:
    """Ready-made JSON lines; returns how many were written."""
    count = 0
    with open_binary(path, "w") as fh:
        while True:
            chunk = list(itertools.islice(lines, 20_000))
            if not chunk:
                return count
            fh.write(("\n".join(chunk) + "\n").encode())
            count += len(chunk)


def flatten(order: dict) -> dict:
    """An order as one row of dotted columns; the item list stays JSON text."""
    row: dict[str, Any] = {}
    for key, value in order.items():
        if key == "items":
            row["items"] = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, dict):
            for sub, inner in value.items():
                row[f"{key}.{sub}"] = inner
        else:
            row[key] = value
    return row


def unflatten(row: dict) -> dict:
    """Inverse of :func:`flatten`; empty cells become absent fields."""
    order: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            continue
        if key == "items":
            order["items"] = json.loads(value)
        elif "." in key:
            outer, inner = key.split(".", 1)
            order.setdefault(outer, {})[inner] = value
        else:
            order[key] = value
    return order


_TEXT_DTYPES = {c: str for c in ("customer.phone", "billing_address.postal_code",
                                 "shipping_address.postal_code", "billing_address.house_number",
                                 "shipping_address.house_number", "payment.card_bin",
                                 "payment.card_last4", "payment.amount", "items.unit_price")}


def write_table(records: Iterable[dict], path: Path, fmt: str) -> int:
    """Orders as a Parquet or CSV table (one row per order, dotted column names)."""
    frame = pd.DataFrame([flatten(r) for r in records])
    for column in frame.columns:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return len(frame)


def detect_format(path: Path) -> str:
    name = str(path).lower().removesuffix(".gz")
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".csv"):
        return "csv"
    return "jsonl"


def read_jsonl(path: str | Path) -> Iterator[dict]:
    """Decoded objects of a JSON-lines file (plain or .gz), skipping blank lines."""
    with open_binary(Path(path), "r") as fh:
        for line in io.TextIOWrapper(fh, encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def read_orders(path: str | Path) -> Iterator[dict]:
    """Orders as dicts shaped like :class:`fraud.schema.Order`, from JSONL, Parquet or CSV.

    Validate each with ``Order.model_validate_json(json.dumps(order))`` (the model
    is strict, so text times and amounts are accepted in JSON mode only).
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "jsonl":
        yield from read_jsonl(path)
        return
    if fmt == "parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, dtype=_TEXT_DTYPES, keep_default_na=False)
    for row in frame.to_dict("records"):
        yield unflatten(row)


def read_outcomes(path: str | Path) -> Iterator[dict]:
    """Outcome events {order_id, outcome, at} in time order, from JSONL (.gz) or CSV."""
    path = Path(path)
    if detect_format(path) == "csv":
        yield from pd.read_csv(path, dtype=str).to_dict("records")
        return
    yield from read_jsonl(path)


def read_truth(path: str | Path) -> pd.DataFrame:
    """Ground truth (order_id, is_fraud, pattern, honest_quirk): for evaluation only."""
    frame = pd.read_csv(path, dtype={"order_id": str, "pattern": str, "honest_quirk": str})
    frame["is_fraud"] = frame["is_fraud"].astype(bool)
    return frame


def write_csv_rows(rows: Iterable[tuple], header: tuple[str, ...], path: Path) -> None:
    with open_binary(path, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)

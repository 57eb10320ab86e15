"""Orders as columns while they are being generated: blocks of rows that are
concatenated, sorted by time and only then turned into JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIELDS = (
    "t", "account_id", "account_created", "name", "email", "phone",
    "b_street", "b_house", "b_postal", "b_city", "b_country",
    "s_street", "s_house", "s_postal", "s_city", "s_country", "s_recipient",
    "ip", "ua", "device", "method", "card_bin", "card_last4", "card_country", "three_ds",
    "ship", "pattern", "quirk",
)
INT_FIELDS = ("t", "account_created")  # epoch seconds; account_created -1 for guests

# A missing value for ``np.where(cond, values, NONE)``: the 0-d object array numpy itself
# makes of a bare ``None`` there (numpy's type stubs do not accept ``None`` as an argument),
# so the result is the same object array.
NONE = np.array(None, dtype=object)


@dataclass
class Block:
    """Parallel columns for ``n`` orders plus their basket lines (row, SKU index, quantity)."""

    cols: dict[str, np.ndarray]
    item_row: np.ndarray
    item_sku: np.ndarray
    item_qty: np.ndarray

    @property
    def n(self) -> int:
        return len(self.cols["t"])


def from_rows(rows: list[dict]) -> Block:
    """A block from per-order dicts (used by the fraud patterns, which are few)."""
    cols = {}
    for f in FIELDS:
        values = [r.get(f) for r in rows]
        if f in INT_FIELDS:
            cols[f] = np.array([-1 if v is None else v for v in values], dtype=np.int64)
        else:
            cols[f] = np.array(values + [None], dtype=object)[:-1]  # keeps 1-d object shape
    item_row, item_sku, item_qty = [], [], []
    for i, r in enumerate(rows):
        for sku, qty in r["items"]:
            item_row.append(i)
            item_sku.append(sku)
            item_qty.append(qty)
    return Block(cols, np.array(item_row, dtype=np.int64), np.array(item_sku, dtype=np.int64),
                 np.array(item_qty, dtype=np.int64))


def concat(blocks: list[Block]) -> Block:
    """One block from many, basket rows re-pointed at the combined order rows."""
    blocks = [b for b in blocks if b.n]
    offsets = np.cumsum([0] + [b.n for b in blocks])
    cols = {f: np.concatenate([b.cols[f] for b in blocks]) for f in FIELDS}
    return Block(
        cols,
        np.concatenate([b.item_row + off for b, off in zip(blocks, offsets, strict=False)]),
        np.concatenate([b.item_sku for b in blocks]),
        np.concatenate([b.item_qty for b in blocks]),
    )


def group_lines(block: Block) -> Block:
    """The same block with basket lines grouped by order row (rows stay where they are:
    moving 28 object columns costs more than reading them through a permutation)."""
    lines = np.argsort(block.item_row, kind="stable")
    return Block(block.cols, block.item_row[lines], block.item_sku[lines], block.item_qty[lines])

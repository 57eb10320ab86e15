"""Orders as JSON lines, formatted column-wise by Arrow's string kernels.

A Python loop spends ~25 µs an order building JSON; joining whole columns in
C++ takes a fraction of that, which is what lets a million orders be written
in seconds. Text values come from the simulator's own word lists, which hold
no quotes, backslashes or control characters, so they need no escaping; a
test pins every line to ``json.dumps`` of :meth:`Simulation.orders`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraud.simulate import io
from fraud.simulate.table import NONE

if TYPE_CHECKING:
    from fraud.simulate.catalogue import Catalogue
    from fraud.simulate.table import Block


class Simulation(Protocol):
    """What the writer reads of :class:`fraud.simulate.Simulation` (a protocol, so this
    module need not import the package that imports it)."""

    block: Block
    rank: np.ndarray
    order_id: np.ndarray
    amount_cents: np.ndarray
    cat: Catalogue


def _s(values: np.ndarray | list) -> pa.Array:
    return pa.array(values, type=pa.string())


def _join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation; a null part makes the result null."""
    return pc.binary_join_element_wise(*parts, "")


def _optional(*parts: pa.Array | str) -> pa.Array:
    """A piece that disappears (empty text) where its value is null."""
    return pc.fill_null(_join(*parts), "")


def order_lines(sim: Simulation) -> pa.Array:
    """One JSON text per order, in time order, each ending in a newline."""
    c = sim.block.cols
    col = {k: _s(v) for k, v in c.items() if k not in ("t", "account_created")}
    acc_created = _s(np.where(c["account_created"] >= 0,
                              io.iso_times(np.maximum(c["account_created"], 0)), NONE))
    customer = _join(
        '"name":"', col["name"], '","email":"', col["email"], '"',
        _optional(',"account_id":"', col["account_id"], '","account_created_at":"',
                  acc_created, '"'),
        _optional(',"phone":"', col["phone"], '"'))
    card = _optional(',"card_bin":"', col["card_bin"], '","card_last4":"', col["card_last4"],
                     '","card_country":"', col["card_country"], '","three_ds":"',
                     col["three_ds"], '"')
    lines = _join(
        '{"order_id":"', _s(sim.order_id), '","created_at":"', _s(io.iso_times(c["t"])),
        '","customer":{', customer, '},"billing_address":{"street":"', col["b_street"],
        '","house_number":"', col["b_house"], '","postal_code":"', col["b_postal"],
        '","city":"', col["b_city"], '","country":"', col["b_country"],
        '"},"shipping_address":{"street":"', col["s_street"], '","house_number":"',
        col["s_house"], '","postal_code":"', col["s_postal"], '","city":"', col["s_city"],
        '","country":"', col["s_country"], '"',
        _optional(',"recipient":"', col["s_recipient"], '"'),
        '},"ip_address":"', col["ip"], '","user_agent":"', col["ua"],
        '","payment":{"method":"', col["method"], '","amount":"',
        _s(io.cents_text(sim.amount_cents)),
        '","currency":"EUR"', card, '},"items":[', _items(sim), '],"shipping_method":"',
        col["ship"], '"', _optional(',"device_id":"', col["device"], '"'), "}\n")
    return lines.take(pa.array(sim.rank))


def _items(sim: Simulation) -> pa.Array:
    """Each order's basket as the text between the brackets."""
    cat = sim.cat
    price = io.cents_text(cat.price_cents)
    head = np.array([f'{{"sku":"{s}","category":"{cat.categories[k]}","unit_price":"{p}",'
                     f'"quantity":' for s, k, p in zip(cat.sku.tolist(), cat.category.tolist(),
                                                       price, strict=True)], dtype=object)
    block = sim.block
    fragments = _join(_s(head[block.item_sku]), pc.cast(pa.array(block.item_qty), pa.string()),
                      "}")
    offsets = np.searchsorted(block.item_row, np.arange(block.n + 1)).astype(np.int32)
    baskets = pa.ListArray.from_arrays(pa.array(offsets), fragments)
    return pc.binary_join(baskets, ",")


def write(lines: pa.Array, path) -> int:  # noqa: ANN001 - a path-like
    """Write the texts back to back (they carry their own newlines)."""
    with io.open_binary(path, "w") as fh:
        for start in range(0, len(lines), 100_000):
            chunk = pa.concat_arrays([lines.slice(start, 100_000)])  # compact copy, offset 0
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[: len(chunk) + 1]
            data = chunk.buffers()[2]
            fh.write(memoryview(data)[offsets[0]:offsets[-1]])
    return len(lines)

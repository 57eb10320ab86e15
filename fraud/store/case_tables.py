"""Cases: orders grouped as one fraud, for the authorities (see docs/evidence.md).

Every change to a case is also an evidence record; these tables hold the current
state for reading.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from fraud.store.codecs import UTCDateTime
from fraud.store.meta import metadata

CASE_STATUSES = ("open", "reported", "closed")

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("owner", String(120), nullable=False),
    Column("authority_ref", String(120)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

case_orders = Table(
    "case_orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "order_id",
        String(64),
        ForeignKey("orders.order_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("added_by", String(120), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    UniqueConstraint("case_id", "order_id", name="uq_case_orders_case_id_order_id"),
)

case_notes = Table(
    "case_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False,
        index=True,
    ),
    Column("author", String(120), nullable=False),
    Column("text", Text, nullable=False),
    Column("salt", String(64), nullable=False),  # of the note's commitment in the chain
    Column("at", UTCDateTime, nullable=False),
)

"""Evidence chain, sealed personal data, checkpoints, and cases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    head = op.create_table(
        "evidence_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_head"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])
    op.create_table(
        "evidence_records",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        _time("at"),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_evidence_records"),
    )
    op.create_index("ix_evidence_records_subject_seq", "evidence_records", ["subject", "seq"])
    op.create_table(
        "evidence_customers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("identity", sa.String(400), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        _time("created_at"),
        _time("erased_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_customers"),
        sa.UniqueConstraint("identity", name="uq_evidence_customers_identity"),
    )
    op.create_table(
        "evidence_sealed",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_evidence_sealed"),
    )
    op.create_index("ix_evidence_sealed_customer_id", "evidence_sealed", ["customer_id"])
    op.create_index("ix_evidence_sealed_order_id", "evidence_sealed", ["order_id"])
    op.create_table(
        "evidence_checkpoints",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        _time("at"),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_evidence_checkpoints"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(120), nullable=False),
        sa.Column("authority_ref", sa.String(120), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_table(
        "case_orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("added_by", sa.String(120), nullable=False),
        _time("added_at"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_orders_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.order_id"],
            name="fk_case_orders_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_orders"),
        sa.UniqueConstraint("case_id", "order_id", name="uq_case_orders_case_id_order_id"),
    )
    op.create_index("ix_case_orders_order_id", "case_orders", ["order_id"])
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        _time("at"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_notes_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_notes"),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])


def downgrade() -> None:
    for table in (
        "case_notes",
        "case_orders",
        "cases",
        "evidence_checkpoints",
        "evidence_sealed",
        "evidence_customers",
        "evidence_records",
        "evidence_head",
    ):
        op.drop_table(table)

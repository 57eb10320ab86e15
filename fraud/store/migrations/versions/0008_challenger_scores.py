"""Challenger scores: a candidate model's probability and decision on each live order,
stored apart from the live decisions (scored in shadow, never acting).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "challenger_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.order_id"],
            name="fk_challenger_scores_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_challenger_scores"),
        sa.UniqueConstraint(
            "order_id", "model_version", name="uq_challenger_scores_order_id_model_version"
        ),
    )
    op.create_index(
        "ix_challenger_scores_model_version_decided_at",
        "challenger_scores",
        ["model_version", "decided_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_challenger_scores_model_version_decided_at", table_name="challenger_scores")
    op.drop_table("challenger_scores")

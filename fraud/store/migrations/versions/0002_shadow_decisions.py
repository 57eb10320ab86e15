"""Shadow decisions: a candidate rule set's decisions, stored apart from the live ones.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# migrations are frozen in time: plain types here, not the live ones from the store modules
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "shadow_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("rules_version", sa.String(200), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("rule_hits", Json, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.order_id"],
            name="fk_shadow_decisions_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_shadow_decisions"),
        sa.UniqueConstraint(
            "order_id", "rules_version", name="uq_shadow_decisions_order_id_rules_version"
        ),
    )
    op.create_index("ix_shadow_decisions_decided_at", "shadow_decisions", ["decided_at"])


def downgrade() -> None:
    op.drop_table("shadow_decisions")

"""Initial schema: orders, their linking keys, decisions, outcomes, API keys.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# migrations are frozen in time: plain types here, not the live ones from tables.py
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("order_json", Json, nullable=False),
        sa.Column("amount_eur", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("billing_country", sa.String(2), nullable=False),
        sa.Column("shipping_country", sa.String(2), nullable=False),
        sa.Column("card_country", sa.String(2), nullable=True),
        sa.Column("ip_key", sa.String(64), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("phone_key", sa.String(64), nullable=True),
        sa.Column("device_key", sa.String(64), nullable=True),
        sa.Column("address_key", sa.String(400), nullable=False),
        sa.Column("card_key", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("order_id", name="pk_orders"),
    )
    op.create_index("ix_orders_account_id_created_at", "orders", ["account_id", "created_at"])
    op.create_index("ix_orders_created_at", "orders", ["created_at"])

    op.create_table(
        "order_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.order_id"],
            name="fk_order_keys_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_order_keys"),
    )
    op.create_index("ix_order_keys_order_id", "order_keys", ["order_id"])
    op.create_index(
        "ix_order_keys_kind_value_created_at_order_id",
        "order_keys",
        ["kind", "value", "created_at", "order_id"],
    )

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reasons", Json, nullable=False),
        sa.Column("rule_hits", Json, nullable=False),
        sa.Column("signals_unavailable", Json, nullable=False),
        sa.Column("features", Json, nullable=False),
        sa.Column("rules_version", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("service_version", sa.String(64), nullable=False),
        sa.Column("model_probability", sa.Float(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.order_id"],
            name="fk_decisions_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
    )
    op.create_index("ix_decisions_order_id", "decisions", ["order_id"])

    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.order_id"],
            name="fk_outcomes_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outcomes"),
    )
    op.create_index("ix_outcomes_order_id_at", "outcomes", ["order_id", "at"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("name", name="uq_api_keys_name"),
        sa.UniqueConstraint("secret_sha256", name="uq_api_keys_secret_sha256"),
    )
    op.create_index("ix_api_keys_prefix", "api_keys", ["prefix"])


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("outcomes")
    op.drop_table("decisions")
    op.drop_table("order_keys")
    op.drop_table("orders")

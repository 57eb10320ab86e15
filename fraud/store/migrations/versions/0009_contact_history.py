"""Contacts as history and a webhook outbox: the keys of denied orders, pending calls.

``contact_keys`` holds the linking keys of each order whose customer denied placing it, so
scoring finds the denials sharing a key with an order by index; ``webhook_outbox`` keeps
each webhook call until it is delivered or given up, so a call in flight when the service
stops is sent again on the next start.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contact_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(400), nullable=False),
        sa.Column("recorded_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["verification_contacts.id"],
            name="fk_contact_keys_contact_id_verification_contacts", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], name="fk_contact_keys_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contact_keys"),
    )
    op.create_index(
        "ix_contact_keys_kind_value_recorded_at", "contact_keys", ["kind", "value", "recorded_at"]
    )
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("finished_at", Time, nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], name="fk_webhook_outbox_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_outbox"),
    )
    op.create_index("ix_webhook_outbox_order_id", "webhook_outbox", ["order_id"])
    op.create_index("ix_webhook_outbox_finished_at", "webhook_outbox", ["finished_at"])


def downgrade() -> None:
    op.drop_table("webhook_outbox")
    op.drop_table("contact_keys")

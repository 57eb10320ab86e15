"""Review pages: users, sessions, review states, audit, contacts, webhook deliveries.

Also the indexes that page the review queue newest or riskiest first. (The first line
stands alone: Alembic logs the first paragraph, and a log line must not span two lines.)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# migrations are frozen in time: plain types here, not the live ones from the store modules
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", Time, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "review_sessions",
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_review_sessions_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_sha256", name="pk_review_sessions"),
    )
    op.create_index("ix_review_sessions_user_id", "review_sessions", ["user_id"])
    op.create_table(
        "review_states",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], name="fk_review_states_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name="pk_review_states"),
    )
    op.create_index("ix_review_states_status", "review_states", ["status"])
    op.create_table(
        "review_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("old_status", sa.String(16), nullable=False),
        sa.Column("new_status", sa.String(16), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], name="fk_review_audit_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_audit"),
    )
    op.create_index("ix_review_audit_order_id", "review_audit", ["order_id"])
    op.create_index("ix_review_audit_at", "review_audit", ["at"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], name="fk_webhook_deliveries_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    op.create_index("ix_webhook_deliveries_order_id", "webhook_deliveries", ["order_id"])
    op.create_index("ix_webhook_deliveries_at", "webhook_deliveries", ["at"])
    op.create_table(
        "verification_contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("customer_key", sa.String(330), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("contacted_at", Time, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("recorded_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], name="fk_verification_contacts_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_verification_contacts"),
    )
    op.create_index(
        "ix_verification_contacts_customer_key_contacted_at",
        "verification_contacts",
        ["customer_key", "contacted_at"],
    )
    op.create_index(
        "ix_decisions_action_decided_at_id", "decisions", ["action", "decided_at", "id"]
    )
    op.create_index("ix_decisions_action_score_id", "decisions", ["action", "score", "id"])


def downgrade() -> None:
    op.drop_index("ix_decisions_action_score_id", table_name="decisions")
    op.drop_index("ix_decisions_action_decided_at_id", table_name="decisions")
    op.drop_table("verification_contacts")
    op.drop_table("webhook_deliveries")
    op.drop_table("review_audit")
    op.drop_table("review_states")
    op.drop_table("review_sessions")
    op.drop_table("users")

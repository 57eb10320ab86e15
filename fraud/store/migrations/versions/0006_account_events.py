"""Account events: logins and account changes, with each event's own decision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# migrations are frozen in time: plain types here, not the live ones from the store modules
Time = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "account_events",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", Time, nullable=False),
        sa.Column("received_at", Time, nullable=False),
        sa.Column("event_json", Json, nullable=False),
        sa.Column("ip_key", sa.String(64), nullable=False),
        sa.Column("device_key", sa.String(64), nullable=True),
        sa.Column("ip_country", sa.String(2), nullable=True),
        sa.Column("ip_latitude", sa.Float(), nullable=True),
        sa.Column("ip_longitude", sa.Float(), nullable=True),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("reasons", Json, nullable=True),
        sa.Column("rule_hits", Json, nullable=True),
        sa.Column("rules_version", sa.String(200), nullable=True),
        sa.Column("decided_at", Time, nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="pk_account_events"),
    )
    op.create_index(
        "ix_account_events_account_id_occurred_at", "account_events", ["account_id", "occurred_at"]
    )
    op.create_index(
        "ix_account_events_ip_key_occurred_at", "account_events", ["ip_key", "occurred_at"]
    )
    op.create_index(
        "ix_account_events_device_key_occurred_at", "account_events", ["device_key", "occurred_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_account_events_device_key_occurred_at", table_name="account_events")
    op.drop_index("ix_account_events_ip_key_occurred_at", table_name="account_events")
    op.drop_index("ix_account_events_account_id_occurred_at", table_name="account_events")
    op.drop_table("account_events")

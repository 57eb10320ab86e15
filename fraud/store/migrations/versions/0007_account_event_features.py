"""Account events keep the features their decision was made on (device new, country
new, travel speed ...): the review page shows them and a decision can be explained later.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("account_events") as batch:
        batch.add_column(sa.Column("features", Json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_events") as batch:
        batch.drop_column("features")

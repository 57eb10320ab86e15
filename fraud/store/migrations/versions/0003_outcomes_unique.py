"""Outcomes: one row per (order, outcome, time), so a report sent twice at once is stored once.

Copies stored by the old check-then-insert under concurrency are removed first,
keeping the earliest report of each.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = "uq_outcomes_order_id_outcome_at"


def upgrade() -> None:
    op.execute(
        "DELETE FROM outcomes WHERE id NOT IN ("
        "SELECT keep FROM (SELECT MIN(id) AS keep FROM outcomes "
        "GROUP BY order_id, outcome, at) AS kept)"
    )
    with op.batch_alter_table("outcomes") as batch:
        batch.create_unique_constraint(NAME, ["order_id", "outcome", "at"])


def downgrade() -> None:
    with op.batch_alter_table("outcomes") as batch:
        batch.drop_constraint(NAME, type_="unique")

"""The budget frame's cells as rows: what a commitment locks before it is set against the frame.

Existing commitments give the cells their first rows, so a cell booked on
before this revision is locked like any other.

Revision ID: programmes_0002
Revises: programmes_0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "programmes_0002"
down_revision: str | Sequence[str] | None = "programmes_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: ``TransactionType.COMMITMENT``: the frame is set against commitments only.
_COMMITMENT = 2


def upgrade() -> None:
    op.create_table(
        "budget_frame_cell",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("budget_line", sa.String(8), nullable=False),
        sa.Column("oda", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("year", "budget_line", "oda", name=op.f("pk_budget_frame_cell")),
    )
    op.execute(
        "INSERT INTO budget_frame_cell (year, budget_line, oda) "
        "SELECT DISTINCT year, budget_line, oda FROM money_transaction "
        f"WHERE type = {_COMMITMENT}"
    )


def downgrade() -> None:
    op.drop_table("budget_frame_cell")

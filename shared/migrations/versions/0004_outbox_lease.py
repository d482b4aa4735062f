"""The outbox relay's lease: one publisher per service outbox, and its batch in doubt.

In the shared branch because every service's relay takes it. The row is created
by the first relay that asks for it, so nothing is inserted here.

Revision ID: shared_0004
Revises: shared_0003
Create Date: 2027-01-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shared_0004"
down_revision: str | Sequence[str] | None = "shared_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_lease",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(200), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("in_doubt", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_lease")),
    )


def downgrade() -> None:
    op.drop_table("outbox_lease")

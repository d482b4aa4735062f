"""A row per country that designation decisions and risk assessments lock before deciding.

Revision ID: countries_0002
Revises: countries_0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "countries_0002"
down_revision: str | Sequence[str] | None = "countries_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "country_lock",
        sa.Column("country_code", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("country_code", name=op.f("pk_country_lock")),
    )


def downgrade() -> None:
    op.drop_table("country_lock")

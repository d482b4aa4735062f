"""Several replicas on one database: delivery claims, and the subscriptions' version.

- ``delivery.claimed_by`` / ``claimed_until``: the worker attempting a delivery
  and until when its claim holds; other replicas leave a claimed delivery alone
  until then. Plain ``ADD COLUMN`` (nullable), so the table other tables refer
  to is not rebuilt on SQLite.
- ``subscriptions_version``: one row whose number every change to a
  subscription raises; each replica's routing cache compares it with the number
  its routes were read at. Its row is inserted here, at ``0``.

Revision ID: notifications_0004
Revises: notifications_0003
Create Date: 2027-01-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0004"
down_revision: str | Sequence[str] | None = "notifications_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("delivery", sa.Column("claimed_by", sa.String(64), nullable=True))
    op.add_column("delivery", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "subscriptions_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions_version")),
    )
    op.execute("INSERT INTO subscriptions_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("subscriptions_version")
    op.drop_column("delivery", "claimed_until")
    op.drop_column("delivery", "claimed_by")

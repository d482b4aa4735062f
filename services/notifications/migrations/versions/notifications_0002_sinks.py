"""Subscriptions name their sinks (webhook, inbox, stream).

Existing rows keep what they did: ``["webhook", "inbox"]`` with a url,
``["inbox"]`` without. The column is added NOT NULL with the inbox as server
default (SQLite adds a NOT NULL column only with a default, and a plain
``ADD COLUMN`` spares rebuilding a table other tables refer to); rows with a url
then get the webhook too. Plain SQL literals, so the same statements run on
SQLite and PostgreSQL, online or rendered offline.

Revision ID: notifications_0002
Revises: notifications_0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0002"
down_revision: str | Sequence[str] | None = "notifications_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "subscription",
        sa.Column("sinks", sa.JSON(), nullable=False, server_default=sa.text("'[\"inbox\"]'")),
    )
    op.execute('UPDATE subscription SET sinks = \'["webhook", "inbox"]\' WHERE url IS NOT NULL')


def downgrade() -> None:
    op.drop_column("subscription", "sinks")

"""Evaluation report URLs as long as the API accepts them.

``programme_evaluation.document_url`` was ``VARCHAR(2000)`` while the API takes
a URL of up to 2083 characters once normalised (``shared.http.models.
MAX_URL_LENGTH``). SQLite does not enforce a length, so only PostgreSQL refused
the longer ones, with a server error. Batch mode rebuilds the table on SQLite
(which cannot alter a column's type) and is a plain ``ALTER COLUMN`` elsewhere.

Revision ID: monitoring_0002
Revises: monitoring_0001
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "monitoring_0002"
down_revision: str | Sequence[str] | None = "monitoring_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programme_evaluation") as batch:
        batch.alter_column(
            "document_url",
            type_=sa.String(2083),
            existing_type=sa.String(2000),
            existing_nullable=False,
        )


def downgrade() -> None:
    # A longer URL stored meanwhile would not fit back: it is cut, not refused.
    op.execute(
        "UPDATE programme_evaluation SET document_url = substr(document_url, 1, 2000)"
        " WHERE length(document_url) > 2000"
    )
    with op.batch_alter_table("programme_evaluation") as batch:
        batch.alter_column(
            "document_url",
            type_=sa.String(2000),
            existing_type=sa.String(2083),
            existing_nullable=False,
        )

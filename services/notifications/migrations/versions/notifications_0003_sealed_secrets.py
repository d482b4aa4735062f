"""Signing secrets sealed at rest: wider columns for Fernet tokens, stored secrets sealed.

``subscription.secret`` and ``previous_secret`` held ``whsec_`` text (120
characters); a Fernet token of the longest secret is about 230. Each column is
replaced by a wider one under the same name (add, copy, drop, rename: plain
``ALTER TABLE`` statements that SQLite 3.35+ and PostgreSQL both run, so the
table other tables refer to is not rebuilt). Values still in plain text
(``whsec_...``) are sealed on the way; tokens already sealed are copied as they
are, so running it on a half-done copy is harmless.

The key is the one the service uses: ``TASKFORCE_NOTIFICATIONS_SECRETS_KEY``,
else ``<TASKFORCE_VAR_DIR>/secrets/notifications-secrets.key`` (made if there is
none). It is only looked up when there is something to seal or open.

Revision ID: notifications_0003
Revises: notifications_0002
Create Date: 2027-01-12
"""

import os
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from services.notifications.storage.secret_box import KEY_ENV, SecretBox, box_for
from shared.settings import default_var_dir

revision: str = "notifications_0003"
down_revision: str | Sequence[str] | None = "notifications_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("secret", "previous_secret")
PLAIN_PREFIX = "whsec_"


def _box(found: list[SecretBox]) -> SecretBox:
    """The service's secret box, looked up the first time it is needed."""
    if not found:
        found.append(box_for(default_var_dir(), os.environ.get(KEY_ENV) or None))
    return found[0]


def _replace(column: str, length: int, convert: Callable[[str], str]) -> None:
    wider = f"{column}_new"
    op.add_column("subscription", sa.Column(wider, sa.String(length), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(f"SELECT subscription_id, {column} FROM subscription WHERE {column} IS NOT NULL")
    ).all()
    for subscription_id, value in rows:
        connection.execute(
            sa.text(f"UPDATE subscription SET {wider} = :value WHERE subscription_id = :id"),
            {"value": convert(value), "id": subscription_id},
        )
    op.execute(f"ALTER TABLE subscription DROP COLUMN {column}")
    op.execute(f"ALTER TABLE subscription RENAME COLUMN {wider} TO {column}")


def upgrade() -> None:
    boxes: list[SecretBox] = []

    def seal(value: str) -> str:
        if not value.startswith(PLAIN_PREFIX):
            return value  # sealed already
        return _box(boxes).seal(value)

    for column in COLUMNS:
        _replace(column, 400, seal)


def downgrade() -> None:
    boxes: list[SecretBox] = []

    def unseal(value: str) -> str:
        if value.startswith(PLAIN_PREFIX):
            return value
        return _box(boxes).open(value)

    for column in COLUMNS:
        _replace(column, 120, unseal)

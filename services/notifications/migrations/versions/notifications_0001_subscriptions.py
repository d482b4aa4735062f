"""Subscriptions, the delivery queue, the attempt log and the inbox.

Revision ID: notifications_0001
Revises:
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("notifications",)
depends_on: str | Sequence[str] | None = "shared_0001"


def upgrade() -> None:
    op.create_table(
        "subscription",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("organisation", sa.String(32), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.String(200), nullable=True),
        sa.Column("secret", sa.String(120), nullable=True),
        sa.Column("previous_secret", sa.String(120), nullable=True),
        sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", name=op.f("pk_subscription")),
    )
    op.create_index(op.f("ix_subscription_organisation"), "subscription", ["organisation"])
    op.create_index(op.f("ix_subscription_status"), "subscription", ["status"])
    op.create_table(
        "delivery",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("organisation", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_source", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("round_start", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_http_status", sa.Integer(), nullable=True),
        sa.Column("last_reason", sa.String(40), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.subscription_id"],
            name=op.f("fk_delivery_subscription_id_subscription"),
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_delivery")),
        sa.UniqueConstraint(
            "subscription_id",
            "event_source",
            "event_id",
            name=op.f("uq_delivery_subscription_id"),
        ),
    )
    op.create_index("ix_delivery_due", "delivery", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_delivery_organisation"), "delivery", ["organisation"])
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.delivery_id"],
            name=op.f("fk_delivery_attempt_delivery_id_delivery"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
        sa.UniqueConstraint("delivery_id", "number", name=op.f("uq_delivery_attempt_delivery_id")),
    )
    op.create_table(
        "inbox_entry",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("organisation", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_source", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("subscription_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_inbox_entry")),
        sa.UniqueConstraint(
            "organisation", "event_source", "event_id", name=op.f("uq_inbox_entry_organisation")
        ),
    )
    op.create_index(op.f("ix_inbox_entry_organisation"), "inbox_entry", ["organisation"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbox_entry_organisation"), table_name="inbox_entry")
    op.drop_table("inbox_entry")
    op.drop_table("delivery_attempt")
    op.drop_index(op.f("ix_delivery_organisation"), table_name="delivery")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index(op.f("ix_subscription_status"), table_name="subscription")
    op.drop_index(op.f("ix_subscription_organisation"), table_name="subscription")
    op.drop_table("subscription")

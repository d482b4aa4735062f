"""Programme registry, money, lifecycle, results framework, reviews and the country read model.

Revision ID: programmes_0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "programmes_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("programmes",)
depends_on: str | Sequence[str] | None = "shared_0001"

_OPEN = sa.text("state = 'open'")


def upgrade() -> None:
    op.create_table(
        "registered_programme",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("iati_identifier", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reporting_org_ref", sa.String(100), nullable=False),
        sa.Column("reporting_org_type", sa.String(10), nullable=False),
        sa.Column("reporting_org_name", sa.String(200), nullable=False),
        sa.Column("owning_organisation", sa.String(32), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("actual_start", sa.Date(), nullable=True),
        sa.Column("actual_end", sa.Date(), nullable=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=True),
        sa.Column("return_assistance", sa.String(16), nullable=False),
        sa.Column("results_framework_revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_registered_programme")),
        sa.UniqueConstraint(
            "iati_identifier", name=op.f("uq_registered_programme_iati_identifier")
        ),
    )
    op.create_index(
        op.f("ix_registered_programme_owning_organisation"),
        "registered_programme",
        ["owning_organisation"],
    )
    op.create_index(op.f("ix_registered_programme_status"), "registered_programme", ["status"])
    op.create_table(
        "programme_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_programme_counter")),
    )
    op.create_table(
        "programme_country",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("country_code", sa.String(3), nullable=False),
        sa.Column("basis_points", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_programme_country_programme_id_registered_programme"),
        ),
        sa.PrimaryKeyConstraint("programme_id", "country_code", name=op.f("pk_programme_country")),
    )
    op.create_index(
        op.f("ix_programme_country_country_code"), "programme_country", ["country_code"]
    )
    op.create_table(
        "programme_sector",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("basis_points", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_programme_sector_programme_id_registered_programme"),
        ),
        sa.PrimaryKeyConstraint("programme_id", "code", name=op.f("pk_programme_sector")),
    )
    op.create_table(
        "programme_theme",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("theme", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_programme_theme_programme_id_registered_programme"),
        ),
        sa.PrimaryKeyConstraint("programme_id", "theme", name=op.f("pk_programme_theme")),
    )
    op.create_index(op.f("ix_programme_theme_theme"), "programme_theme", ["theme"])
    op.create_table(
        "participating_org",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("ref", sa.String(100), nullable=True),
        sa.Column("type", sa.String(10), nullable=True),
        sa.Column("crs_channel_code", sa.String(5), nullable=True),
        sa.Column("organisation", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_participating_org_programme_id_registered_programme"),
        ),
        sa.PrimaryKeyConstraint("programme_id", "position", name=op.f("pk_participating_org")),
    )
    op.create_table(
        "status_transition",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transition_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("from_status", sa.Integer(), nullable=False),
        sa.Column("to_status", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("changed_by", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_status_transition_programme_id_registered_programme"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_status_transition")),
        sa.UniqueConstraint("transition_id", name=op.f("uq_status_transition_transition_id")),
    )
    op.create_index(
        op.f("ix_status_transition_programme_id"), "status_transition", ["programme_id"]
    )
    op.create_table(
        "budget",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("budget_line", sa.String(8), nullable=False),
        sa.Column("oda", sa.Boolean(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_budget_programme_id_registered_programme"),
        ),
        sa.PrimaryKeyConstraint(
            "programme_id", "year", "budget_line", "oda", name=op.f("pk_budget")
        ),
    )
    op.create_table(
        "money_transaction",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("transaction_date", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("budget_line", sa.String(8), nullable=False),
        sa.Column("oda", sa.Boolean(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("recorded_by", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_by", sa.String(32), nullable=True),
        sa.Column("override_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_money_transaction_programme_id_registered_programme"),
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_money_transaction")),
    )
    op.create_index(
        op.f("ix_money_transaction_programme_id"), "money_transaction", ["programme_id"]
    )
    op.create_index(
        "ix_money_transaction_cell", "money_transaction", ["year", "budget_line", "oda", "type"]
    )
    op.create_table(
        "indicator",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("result_type", sa.Integer(), nullable=False),
        sa.Column("measure", sa.Integer(), nullable=False),
        sa.Column("ascending", sa.Boolean(), nullable=False),
        sa.Column("baseline_year", sa.Integer(), nullable=True),
        sa.Column("baseline_value", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_indicator_programme_id_registered_programme"),
        ),
        sa.PrimaryKeyConstraint("programme_id", "indicator_id", name=op.f("pk_indicator")),
    )
    op.create_table(
        "indicator_target",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id", "indicator_id"],
            ["indicator.programme_id", "indicator.indicator_id"],
            name="fk_indicator_target_indicator",
        ),
        sa.PrimaryKeyConstraint(
            "programme_id", "indicator_id", "position", name=op.f("pk_indicator_target")
        ),
    )
    op.create_table(
        "review",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resulting_status", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_review_programme_id_registered_programme"),
        ),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_review")),
    )
    op.create_index(op.f("ix_review_programme_id"), "review", ["programme_id"])
    op.create_index(
        "uq_review_open_per_programme",
        "review",
        ["programme_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_table(
        "review_trigger",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("flag_id", sa.Uuid(), nullable=True),
        sa.Column("country_code", sa.String(3), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["registered_programme.programme_id"],
            name=op.f("fk_review_trigger_programme_id_registered_programme"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.review_id"],
            name=op.f("fk_review_trigger_review_id_review"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_review_trigger")),
    )
    op.create_index(op.f("ix_review_trigger_review_id"), "review_trigger", ["review_id"])
    op.create_index(
        "uq_review_trigger_event",
        "review_trigger",
        ["programme_id", "source", "event_id"],
        unique=True,
    )
    op.create_table(
        "country",
        sa.Column("country_code", sa.String(3), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("profile_revision", sa.Integer(), nullable=True),
        sa.Column("designation", sa.String(16), nullable=True),
        sa.Column("designation_decided_on", sa.Date(), nullable=True),
        sa.Column("residual_rating", sa.String(16), nullable=True),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("country_code", name=op.f("pk_country")),
    )


def downgrade() -> None:
    op.drop_table("country")
    op.drop_index("uq_review_trigger_event", table_name="review_trigger")
    op.drop_index(op.f("ix_review_trigger_review_id"), table_name="review_trigger")
    op.drop_table("review_trigger")
    op.drop_index("uq_review_open_per_programme", table_name="review")
    op.drop_index(op.f("ix_review_programme_id"), table_name="review")
    op.drop_table("review")
    op.drop_table("indicator_target")
    op.drop_table("indicator")
    op.drop_index("ix_money_transaction_cell", table_name="money_transaction")
    op.drop_index(op.f("ix_money_transaction_programme_id"), table_name="money_transaction")
    op.drop_table("money_transaction")
    op.drop_table("budget")
    op.drop_index(op.f("ix_status_transition_programme_id"), table_name="status_transition")
    op.drop_table("status_transition")
    op.drop_table("participating_org")
    op.drop_index(op.f("ix_programme_theme_theme"), table_name="programme_theme")
    op.drop_table("programme_theme")
    op.drop_table("programme_sector")
    op.drop_index(op.f("ix_programme_country_country_code"), table_name="programme_country")
    op.drop_table("programme_country")
    op.drop_table("programme_counter")
    op.drop_index(op.f("ix_registered_programme_status"), table_name="registered_programme")
    op.drop_index(
        op.f("ix_registered_programme_owning_organisation"), table_name="registered_programme"
    )
    op.drop_table("registered_programme")

"""Countries: profiles and their history, designation decisions, partnerships, risk assessments.

Revision ID: countries_0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "countries_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("countries",)
depends_on: str | Sequence[str] | None = "shared_0001"

CODE = sa.String(3)
ORG = sa.String(32)
ID = sa.String(36)
ENUM = sa.String(32)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "country_profile",
        sa.Column("country_code", CODE, nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("updated_by", ORG, nullable=False),
        sa.PrimaryKeyConstraint("country_code", name=op.f("pk_country_profile")),
    )
    op.create_table(
        "country_profile_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("country_code", CODE, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_at", TIME, nullable=False),
        sa.Column("changed_by", ORG, nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_country_profile_change")),
        sa.UniqueConstraint(
            "country_code", "revision", name=op.f("uq_country_profile_change_country_code")
        ),
    )
    op.create_table(
        "designation_decision",
        sa.Column("id", ID, nullable=False),
        sa.Column("country_code", CODE, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("designation", ENUM, nullable=False),
        sa.Column("previous_designation", ENUM, nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("decided_by", ORG, nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("weighted_score", sa.Float(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("recorded_by", ORG, nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_designation_decision")),
        sa.UniqueConstraint(
            "country_code", "number", name=op.f("uq_designation_decision_country_code")
        ),
    )
    op.create_index(
        "ix_designation_decision_current", "designation_decision", ["current", "country_code"]
    )
    op.create_table(
        "partnership",
        sa.Column("id", ID, nullable=False),
        sa.Column("country_code", CODE, nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("lead_organisation", ORG, nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("status_since", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", ORG, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("updated_by", ORG, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership")),
    )
    op.create_index(op.f("ix_partnership_country_code"), "partnership", ["country_code"])
    op.create_table(
        "partnership_status_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partnership_id", ID, nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("previous_status", ENUM, nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("recorded_by", ORG, nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_partnership_status_change_partnership_id_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership_status_change")),
    )
    op.create_index(
        op.f("ix_partnership_status_change_partnership_id"),
        "partnership_status_change",
        ["partnership_id"],
    )
    op.create_table(
        "risk_assessment",
        sa.Column("id", ID, nullable=False),
        sa.Column("country_code", CODE, nullable=False),
        sa.Column("partnership_id", ID, nullable=True),
        sa.Column("phase", ENUM, nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("inherent_rating", ENUM, nullable=False),
        sa.Column("residual_rating", ENUM, nullable=False),
        sa.Column("previous_residual_rating", ENUM, nullable=True),
        sa.Column("outcome", ENUM, nullable=False),
        sa.Column("assessed_at", TIME, nullable=False),
        sa.Column("assessed_by", ORG, nullable=False),
        sa.Column("next_review_date", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("recorded_by", ORG, nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_risk_assessment_partnership_id_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessment")),
    )
    op.create_index(op.f("ix_risk_assessment_country_code"), "risk_assessment", ["country_code"])
    op.create_index(
        op.f("ix_risk_assessment_partnership_id"), "risk_assessment", ["partnership_id"]
    )
    op.create_index(
        "ix_risk_assessment_current", "risk_assessment", ["current", "next_review_date"]
    )


def downgrade() -> None:
    op.drop_index("ix_risk_assessment_current", table_name="risk_assessment")
    op.drop_index(op.f("ix_risk_assessment_partnership_id"), table_name="risk_assessment")
    op.drop_index(op.f("ix_risk_assessment_country_code"), table_name="risk_assessment")
    op.drop_table("risk_assessment")
    op.drop_index(
        op.f("ix_partnership_status_change_partnership_id"), table_name="partnership_status_change"
    )
    op.drop_table("partnership_status_change")
    op.drop_index(op.f("ix_partnership_country_code"), table_name="partnership")
    op.drop_table("partnership")
    op.drop_index("ix_designation_decision_current", table_name="designation_decision")
    op.drop_table("designation_decision")
    op.drop_table("country_profile_change")
    op.drop_table("country_profile")

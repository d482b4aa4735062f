"""Monitoring: programmes read model, plans, results with history, evaluations, incidents, flags.

Revision ID: monitoring_0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "monitoring_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("monitoring",)
depends_on: str | Sequence[str] | None = "shared_0001"


def upgrade() -> None:
    op.create_table(
        "monitored_programme",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("owning_organisation", sa.String(32), nullable=False),
        sa.Column("partner_organisations", sa.JSON(), nullable=False),
        sa.Column("country_codes", sa.JSON(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("plan_revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_monitored_programme")),
    )
    op.create_table(
        "plan_indicator",
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("measure", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("baseline", sa.String(40), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("programme_id", "indicator_id", name=op.f("pk_plan_indicator")),
    )
    op.create_table(
        "indicator_result",
        sa.Column("result_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(40), nullable=True),
        sa.Column("qualitative_value", sa.String(500), nullable=True),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("comment", sa.String(1000), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("reported_by", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("result_id", name=op.f("pk_indicator_result")),
        sa.UniqueConstraint(
            "programme_id",
            "indicator_id",
            "period_start",
            "period_end",
            name=op.f("uq_indicator_result_programme_id"),
        ),
    )
    op.create_index(op.f("ix_indicator_result_programme_id"), "indicator_result", ["programme_id"])
    op.create_table(
        "indicator_result_revision",
        sa.Column("result_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.String(40), nullable=True),
        sa.Column("qualitative_value", sa.String(500), nullable=True),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("comment", sa.String(1000), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("reported_by", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("result_id", "revision", name=op.f("pk_indicator_result_revision")),
    )
    op.create_table(
        "programme_evaluation",
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("independent", sa.Boolean(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("overall_rating", sa.String(32), nullable=False),
        sa.Column("ratings", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("document_url", sa.String(2000), nullable=False),
        sa.Column("recorded_by", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("evaluation_id", name=op.f("pk_programme_evaluation")),
    )
    op.create_index(
        op.f("ix_programme_evaluation_programme_id"), "programme_evaluation", ["programme_id"]
    )
    op.create_table(
        "incident_report",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("country_code", sa.String(3), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("reported_by", sa.String(32), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_incident_report")),
    )
    op.create_index(op.f("ix_incident_report_programme_id"), "incident_report", ["programme_id"])
    op.create_table(
        "monitoring_flag",
        sa.Column("flag_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("recommends_hold", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(32), nullable=True),
        sa.Column("review_id", sa.Uuid(), nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("flag_id", name=op.f("pk_monitoring_flag")),
    )
    op.create_index(op.f("ix_monitoring_flag_programme_id"), "monitoring_flag", ["programme_id"])
    op.create_index(op.f("ix_monitoring_flag_state"), "monitoring_flag", ["state"])
    op.create_table(
        "monitored_country_risk",
        sa.Column("country_code", sa.String(3), nullable=False),
        sa.Column("residual_rating", sa.String(16), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("country_code", name=op.f("pk_monitored_country_risk")),
    )


def downgrade() -> None:
    op.drop_table("monitored_country_risk")
    op.drop_index(op.f("ix_monitoring_flag_state"), table_name="monitoring_flag")
    op.drop_index(op.f("ix_monitoring_flag_programme_id"), table_name="monitoring_flag")
    op.drop_table("monitoring_flag")
    op.drop_index(op.f("ix_incident_report_programme_id"), table_name="incident_report")
    op.drop_table("incident_report")
    op.drop_index(op.f("ix_programme_evaluation_programme_id"), table_name="programme_evaluation")
    op.drop_table("programme_evaluation")
    op.drop_table("indicator_result_revision")
    op.drop_index(op.f("ix_indicator_result_programme_id"), table_name="indicator_result")
    op.drop_table("indicator_result")
    op.drop_table("plan_indicator")
    op.drop_table("monitored_programme")

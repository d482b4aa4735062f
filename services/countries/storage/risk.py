"""Do-no-harm risk assessments, on a session of the caller's unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.countries.domain.risk import Assessment, RiskItem
from services.countries.storage.tables import AssessmentRow, wire
from shared.contracts.vocabulary import AssessmentOutcome, AssessmentPhase, RiskRating
from shared.db import fetch_page
from shared.http.models import from_storage
from shared.http.times import as_utc


def _assessment(row: AssessmentRow) -> Assessment:
    return Assessment(
        id=UUID(row.id),
        country_code=row.country_code,
        partnership_id=UUID(row.partnership_id) if row.partnership_id else None,
        phase=AssessmentPhase(row.phase),
        items=tuple(from_storage(RiskItem, item) for item in row.items),
        inherent_rating=RiskRating(row.inherent_rating),
        residual_rating=RiskRating(row.residual_rating),
        previous_residual_rating=(
            RiskRating(row.previous_residual_rating) if row.previous_residual_rating else None
        ),
        outcome=AssessmentOutcome(row.outcome),
        assessed_at=as_utc(row.assessed_at),
        assessed_by=row.assessed_by,
        next_review_date=row.next_review_date,
        summary=row.summary,
        recorded_at=as_utc(row.recorded_at),
        recorded_by=row.recorded_by,
        current=row.current,
    )


def _scope(country_code: str, partnership_id: UUID | None) -> Any:
    same_country = AssessmentRow.country_code == country_code
    if partnership_id is None:
        return same_country & AssessmentRow.partnership_id.is_(None)
    return same_country & (AssessmentRow.partnership_id == str(partnership_id))


async def current_assessment(
    session: AsyncSession, country_code: str, partnership_id: UUID | None
) -> Assessment | None:
    """The current assessment of a scope: the country as a whole, or one track."""
    row = await session.scalar(
        select(AssessmentRow).where(
            _scope(country_code, partnership_id), AssessmentRow.current.is_(True)
        )
    )
    return _assessment(row) if row is not None else None


async def add_assessment(session: AsyncSession, assessment: Assessment) -> None:
    """Store an assessment as current for its scope; the previous one is superseded."""
    await session.execute(
        update(AssessmentRow)
        .where(
            _scope(assessment.country_code, assessment.partnership_id),
            AssessmentRow.current.is_(True),
        )
        .values(current=False)
    )
    session.add(
        AssessmentRow(
            id=str(assessment.id),
            country_code=assessment.country_code,
            partnership_id=str(assessment.partnership_id) if assessment.partnership_id else None,
            phase=assessment.phase.value,
            items=[wire(item) for item in assessment.items],
            inherent_rating=assessment.inherent_rating.value,
            residual_rating=assessment.residual_rating.value,
            previous_residual_rating=(
                assessment.previous_residual_rating.value
                if assessment.previous_residual_rating
                else None
            ),
            outcome=assessment.outcome.value,
            # SQLite keeps the wall time and drops the offset: store the instant in UTC.
            assessed_at=as_utc(assessment.assessed_at),
            assessed_by=assessment.assessed_by,
            next_review_date=assessment.next_review_date,
            summary=assessment.summary,
            recorded_at=assessment.recorded_at,
            recorded_by=assessment.recorded_by,
            current=True,
        )
    )


@dataclass(frozen=True)
class AssessmentFilter:
    """Filters of the assessment lists; ``overdue_on`` selects current ones past review."""

    country_code: str | None = None
    partnership_id: UUID | None = None
    residual_rating: RiskRating | None = None
    current: bool | None = None
    overdue_on: date | None = None
    not_overdue_on: date | None = None


async def assessments(
    session: AsyncSession, where: AssessmentFilter, *, offset: int, limit: int
) -> tuple[list[Assessment], int]:
    """Newest assessment first."""
    conditions: list[Any] = []
    if where.country_code is not None:
        conditions.append(AssessmentRow.country_code == where.country_code)
    if where.partnership_id is not None:
        conditions.append(AssessmentRow.partnership_id == str(where.partnership_id))
    if where.residual_rating is not None:
        conditions.append(AssessmentRow.residual_rating == where.residual_rating.value)
    if where.current is not None:
        conditions.append(AssessmentRow.current.is_(where.current))
    if where.overdue_on is not None:
        conditions.append(AssessmentRow.current.is_(True))
        conditions.append(AssessmentRow.next_review_date < where.overdue_on)
    if where.not_overdue_on is not None:
        conditions.append(
            AssessmentRow.current.is_(False)
            | (AssessmentRow.next_review_date >= where.not_overdue_on)
        )
    rows, total = await fetch_page(
        session,
        select(AssessmentRow).where(*conditions),
        AssessmentRow.assessed_at.desc(),
        AssessmentRow.id,
        offset=offset,
        limit=limit,
    )
    return [_assessment(row) for row in rows], total


async def find_assessment(
    session: AsyncSession, country_code: str, assessment_id: UUID
) -> Assessment | None:
    row = await session.get(AssessmentRow, str(assessment_id))
    return _assessment(row) if row is not None and row.country_code == country_code else None

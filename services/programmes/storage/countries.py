"""The read model of countries, kept from ``taskforce.countries.v1``.

Each event updates only what it is about, and every update is an upsert keyed
by the country, so replaying the topic from the start into an empty table
rebuilds the same model. Risk assessments are applied in the order they were
concluded (``assessedAt``), so a late-arriving older assessment never
overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

import pycountry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.programmes.domain.countries import AssessmentApplied, Country
from services.programmes.storage.tables import CountryRow
from shared.contracts.vocabulary import Designation, RiskRating
from shared.http.times import as_utc


def _country_of(row: CountryRow) -> Country:
    return Country(
        country_code=row.country_code,
        name=row.name,
        profile_revision=row.profile_revision,
        designation=None if row.designation is None else Designation(row.designation),
        designation_decided_on=row.designation_decided_on,
        residual_rating=None if row.residual_rating is None else RiskRating(row.residual_rating),
        assessment_id=row.assessment_id,
        assessed_at=None if row.assessed_at is None else as_utc(row.assessed_at),
        updated_at=as_utc(row.updated_at),
    )


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    return str(getattr(country, "name", code))


async def _row(session: AsyncSession, code: str, now: datetime) -> CountryRow:
    row = await session.get(CountryRow, code)
    if row is None:
        row = CountryRow(country_code=code, name=country_name(code), updated_at=now)
        session.add(row)
    return row


async def get(session: AsyncSession, code: str) -> Country | None:
    row = await session.get(CountryRow, code)
    return None if row is None else _country_of(row)


async def all_countries(session: AsyncSession) -> Sequence[Country]:
    rows = await session.scalars(select(CountryRow).order_by(CountryRow.country_code))
    return [_country_of(row) for row in rows]


async def apply_profile(session: AsyncSession, code: str, *, revision: int, now: datetime) -> None:
    """Note the profile's revision; the details stay at the countries service."""
    row = await _row(session, code, now)
    if row.profile_revision is None or revision >= row.profile_revision:
        row.profile_revision = revision
        row.updated_at = now
    await session.flush()


async def apply_designation(
    session: AsyncSession, code: str, *, designation: Designation, decided_on: date, now: datetime
) -> None:
    row = await _row(session, code, now)
    row.designation = designation.value
    row.designation_decided_on = decided_on
    row.updated_at = now
    await session.flush()


async def apply_assessment(
    session: AsyncSession,
    code: str,
    *,
    residual: RiskRating,
    assessment_id: UUID,
    assessed_at: datetime,
    now: datetime,
) -> AssessmentApplied:
    """Record the assessment if it is the newest the service has seen."""
    row = await _row(session, code, now)
    previous = None if row.residual_rating is None else RiskRating(row.residual_rating)
    newest = row.assessed_at is None or as_utc(assessed_at) >= as_utc(row.assessed_at)
    if newest:
        row.residual_rating = residual.value
        row.assessment_id = assessment_id
        row.assessed_at = assessed_at
        row.updated_at = now
    await session.flush()
    return AssessmentApplied(newest, previous)

"""Country profiles and their history, on a session of the caller's unit of work."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.countries.domain.base import FieldChange
from services.countries.domain.profiles import CountryProfile, ProfileContent, ProfileRevision
from services.countries.storage.tables import ProfileChangeRow, ProfileRow, wire
from shared.db import fetch_page
from shared.http.models import from_storage
from shared.http.times import as_utc


def _profile(row: ProfileRow) -> CountryProfile:
    return CountryProfile(
        country_code=row.country_code,
        content=from_storage(ProfileContent, row.content),
        revision=row.revision,
        updated_at=as_utc(row.updated_at),
        updated_by=row.updated_by,
    )


async def load_profile(session: AsyncSession, country_code: str) -> CountryProfile:
    """The stored profile, or the empty revision-0 profile every country has implicitly."""
    row = await session.get(ProfileRow, country_code)
    if row is None:
        return CountryProfile(country_code=country_code, content=ProfileContent())
    return _profile(row)


async def load_profiles(session: AsyncSession) -> dict[str, CountryProfile]:
    rows = (await session.scalars(select(ProfileRow))).all()
    return {row.country_code: _profile(row) for row in rows}


async def save_profile(
    session: AsyncSession, profile: CountryProfile, changes: Sequence[FieldChange]
) -> None:
    """Store a new revision of a profile and the history entry that explains it."""
    assert profile.updated_at is not None and profile.updated_by is not None
    row = await session.get(ProfileRow, profile.country_code)
    if row is None:
        row = ProfileRow(country_code=profile.country_code)
        session.add(row)
    row.content = wire(profile.content)
    row.revision = profile.revision
    row.updated_at = profile.updated_at
    row.updated_by = profile.updated_by
    session.add(
        ProfileChangeRow(
            country_code=profile.country_code,
            revision=profile.revision,
            changed_at=profile.updated_at,
            changed_by=profile.updated_by,
            changes=[{"field": c.field, "before": c.before, "after": c.after} for c in changes],
        )
    )


async def profile_history(
    session: AsyncSession, country_code: str, *, offset: int, limit: int
) -> tuple[list[ProfileRevision], int]:
    """Newest revision first."""
    query = select(ProfileChangeRow).where(ProfileChangeRow.country_code == country_code)
    rows, total = await fetch_page(
        session, query, ProfileChangeRow.revision.desc(), offset=offset, limit=limit
    )
    revisions = [
        ProfileRevision(
            revision=row.revision,
            changed_at=as_utc(row.changed_at),
            changed_by=row.changed_by,
            changes=tuple(FieldChange(c["field"], c["before"], c["after"]) for c in row.changes),
        )
        for row in rows
    ]
    return revisions, total

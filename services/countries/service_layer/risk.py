"""Do-no-harm risk assessments: recording one (it supersedes its scope's), reading them.

What an assessment is read with is who may read its texts
(:func:`services.countries.domain.risk.readers`), worked out from its
country's partnership tracks, which are loaded once per country in a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.countries import events
from services.countries.context import CountriesContext
from services.countries.domain.partnerships import Partnership
from services.countries.domain.risk import (
    Assessment,
    check_dates,
    check_items,
    inherent_rating,
    readers,
    residual_rating,
)
from services.countries.service_layer.commands import AssessmentQuery, AssessRisk, Window
from services.countries.service_layer.rights import assessing_organisation
from services.countries.storage import locks
from services.countries.storage import partnerships as tracks
from services.countries.storage import risk as store
from shared.errors import NotFound, Violation, raise_if
from shared.personal_data import refusals
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ReadAssessment:
    """An assessment and the organisations (besides the secretariat) that read its texts."""

    assessment: Assessment
    readers: frozenset[str]


async def assess_risk(command: AssessRisk, uow: UnitOfWork, ctx: CountriesContext) -> Assessment:
    """Derive the ratings, supersede the scope's current assessment, emit the event.

    Every invalid value is named at once (items, personal data in the summary,
    an unknown track, the dates); only then is it asked whether the caller may
    record it. The country's lock (``locks.lock_country``) is taken before the
    scope's current assessment is read: of two concurrent assessments of one
    scope the second supersedes the first, and only one stays current.
    """
    violations = check_items(command.items) + refusals({"summary": command.summary}, Violation)
    track = None
    if command.partnership_id is not None:
        track = await tracks.find_partnership(
            uow.session, command.country_code, command.partnership_id
        )
        if track is None:
            violations.append(
                Violation("partnershipId", f"{command.country_code} has no such partnership track.")
            )
    await locks.lock_country(uow.session, command.country_code)
    latest = await store.current_assessment(
        uow.session, command.country_code, command.partnership_id
    )
    violations += check_dates(
        assessed_at=command.assessed_at,
        next_review_date=command.next_review_date,
        now=ctx.now(),
        latest_in_scope=latest.assessed_at if latest else None,
    )
    raise_if(violations)
    assessed_by = assessing_organisation(command.by, command.assessed_by, track)
    assessment = Assessment(
        id=uuid4(),
        country_code=command.country_code,
        partnership_id=command.partnership_id,
        phase=command.phase,
        items=command.items,
        inherent_rating=inherent_rating(command.items),
        residual_rating=residual_rating(command.items),
        previous_residual_rating=latest.residual_rating if latest else None,
        outcome=command.outcome,
        assessed_at=command.assessed_at,
        assessed_by=assessed_by,
        next_review_date=command.next_review_date,
        summary=command.summary,
        recorded_at=ctx.now(),
        recorded_by=command.by,
    )
    await store.add_assessment(uow.session, assessment)
    await uow.emit(events.risk_assessed(assessment, ctx.links))
    return assessment


async def _tracks_of(
    session: AsyncSession, country_codes: Iterable[str]
) -> dict[str, list[Partnership]]:
    """The partnership tracks of each country, each country looked up once."""
    return {
        code: await tracks.partnerships(session, country_code=code)
        for code in dict.fromkeys(country_codes)
    }


async def risk_assessments(
    query: AssessmentQuery, window: Window, session: AsyncSession, ctx: CountriesContext
) -> tuple[list[ReadAssessment], int]:
    """One page of the assessments ``query`` selects, newest first, and how many there are."""
    today = ctx.today()
    where = store.AssessmentFilter(
        country_code=query.country_code,
        partnership_id=query.partnership_id,
        residual_rating=query.residual_rating,
        current=query.current,
        overdue_on=today if query.overdue is True else None,
        not_overdue_on=today if query.overdue is False else None,
    )
    found, total = await store.assessments(session, where, offset=window.offset, limit=window.limit)
    by_country = await _tracks_of(session, (a.country_code for a in found))
    return [ReadAssessment(a, readers(a, by_country[a.country_code])) for a in found], total


async def risk_assessment(
    country_code: str, assessment_id: UUID, session: AsyncSession
) -> ReadAssessment:
    """The assessment, if the country has it (else :class:`NotFound`)."""
    assessment = await store.find_assessment(session, country_code, assessment_id)
    if assessment is None:
        raise NotFound(f"{country_code} has no risk assessment {assessment_id}.")
    country_tracks = await tracks.partnerships(session, country_code=country_code)
    return ReadAssessment(assessment, readers(assessment, country_tracks))

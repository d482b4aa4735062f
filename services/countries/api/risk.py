"""Do-no-harm human-rights risk assessments of the cooperation with a country."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AwareDatetime, Field

from services.countries.api.common import (
    CONFLICT,
    Country,
    Urls,
    Writer,
    now,
    today,
)
from services.countries.api.risk_readers import READERS, Viewer, audience, tracks_of
from services.countries.authority import assessing_organisation
from services.countries.domain.partnerships import KnownOrganisation, Partnership
from services.countries.domain.risk import (
    Assessment,
    RiskItem,
    categories_of_concern,
    check_dates,
    check_items,
    inherent_rating,
    is_overdue,
    residual_rating,
)
from services.countries.storage.partnerships import find_partnership, partnerships
from services.countries.storage.risk import (
    AssessmentFilter,
    add_assessment,
    assessments,
    current_assessment,
    find_assessment,
)
from shared.contracts.countries import HumanRightsRiskAssessed
from shared.contracts.vocabulary import (
    AssessmentOutcome,
    AssessmentPhase,
    CountryCode,
    RiskCategory,
    RiskRating,
)
from shared.errors import NotFound, Violation, raise_if
from shared.http import UtcDateTime
from shared.http.dependencies import Paging, Runtime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.pagination import Page, PageParams
from shared.need_to_know import NeedToKnow, need_to_know_text, withheld_field, withhold
from shared.personal_data import refusals

router = APIRouter(tags=["Risk assessments"])

AssessmentId = Annotated[UUID, Path(alias="assessmentId", description="The assessment's id.")]


class NewAssessment(InputModel):
    """A do-no-harm assessment: risk items, outcome, who assessed, when, and the next review.

    The overall ratings are derived from the items (see the API description),
    never given. Assessments are made by `am` or `bz`, or by the lead
    organisation of the track assessed. `assessedBy` defaults to the calling
    organisation; only the taskforce secretariat (`tf-secretariaat`) may name
    another, recording an assessment that organisation made.
    """

    phase: AssessmentPhase = Field(description="Before a partnership, periodic, or ad hoc.")
    partnership_id: UUID | None = Field(
        default=None, description="The track assessed; absent for the country as a whole."
    )
    items: list[RiskItem] = Field(
        min_length=1, max_length=50, description="The risks assessed, at least one."
    )
    outcome: AssessmentOutcome = Field(description="What the assessment concludes.")
    assessed_at: AwareDatetime = Field(
        description="When the assessment was concluded (RFC 3339 with offset); not in the future."
    )
    assessed_by: KnownOrganisation | None = Field(
        default=None,
        description="Assessing organisation (`am`, `bz`, or the assessed track's lead); the "
        "caller's when left out. Only `tf-secretariaat` may name another organisation than "
        "itself, and must.",
    )
    next_review_date: date = Field(description="When to assess again; after `assessedAt`.")
    summary: Text | None = Field(
        default=None,
        max_length=4000,
        description="Summary in words, about no one in person (refused like an item's "
        "`description`).",
    )


class RiskItemView(ApiModel):
    """A risk item with its scores (likelihood x impact) and their bands."""

    category: RiskCategory = Field(description="The kind of human-rights risk.")
    description: str | None = need_to_know_text("The risk in words.", READERS)
    likelihood: int = Field(description="Likelihood before mitigation, 1-5.")
    impact: int = Field(description="Impact before mitigation, 1-5.")
    inherent_score: int = Field(description="likelihood x impact, 1-25.")
    inherent_rating: RiskRating = Field(description="Band of the inherent score.")
    mitigation: str | None = need_to_know_text("What reduces the risk.", READERS)
    residual_likelihood: int = Field(description="Likelihood after mitigation, 1-5.")
    residual_impact: int = Field(description="Impact after mitigation, 1-5.")
    residual_score: int = Field(description="Residual likelihood x impact, 1-25.")
    residual_rating: RiskRating = Field(description="Band of the residual score.")
    withheld: list[str] = withheld_field("description", "mitigation")

    @classmethod
    def of(cls, item: RiskItem, *, shown: bool) -> RiskItemView:
        texts, withheld = withhold(shown, description=item.description, mitigation=item.mitigation)
        return cls(
            **{**item.model_dump(), **texts},
            withheld=withheld,
            inherent_score=item.inherent_score,
            inherent_rating=item.inherent_rating,
            residual_score=item.residual_score,
            residual_rating=item.residual_rating,
        )


class AssessmentView(ApiModel):
    """A recorded assessment with its derived ratings."""

    id: UUID = Field(description="The assessment's id.")
    country_code: str = Field(description="ISO 3166-1 alpha-3 code.")
    partnership_id: UUID | None = Field(description="The track assessed, if not country-wide.")
    phase: AssessmentPhase = Field(description="Before a partnership, periodic, or ad hoc.")
    items: list[RiskItemView] = Field(description="The risks assessed.")
    inherent_rating: RiskRating = Field(description="Band of the highest score before mitigation.")
    residual_rating: RiskRating = Field(description="Band of the highest residual score.")
    previous_residual_rating: RiskRating | None = Field(
        description="Residual rating of the assessment of the same scope this one superseded."
    )
    categories_of_concern: tuple[RiskCategory, ...] = Field(
        description="Categories with an item rated medium or above after mitigation."
    )
    outcome: AssessmentOutcome = Field(description="What the assessment concludes.")
    assessed_at: UtcDateTime = Field(description="When the assessment was concluded.")
    assessed_by: str = Field(description="Assessing organisation.")
    next_review_date: date = Field(description="When to assess again.")
    summary: str | None = need_to_know_text("Summary in words.", READERS)
    recorded_at: UtcDateTime = Field(description="When it was recorded.")
    recorded_by: str = Field(description="Organisation that recorded it.")
    current: bool = Field(description="True for the latest assessment of its scope.")
    overdue: bool = Field(description="Current and past its next review date.")
    withheld: list[str] = withheld_field("summary")

    @classmethod
    def of(cls, assessment: Assessment, *, shown: bool) -> AssessmentView:
        """The assessment; its texts only when ``shown`` (else null and named withheld)."""
        texts, withheld = withhold(shown, summary=assessment.summary)
        return cls(
            id=assessment.id,
            country_code=assessment.country_code,
            partnership_id=assessment.partnership_id,
            phase=assessment.phase,
            items=[RiskItemView.of(item, shown=shown) for item in assessment.items],
            inherent_rating=assessment.inherent_rating,
            residual_rating=assessment.residual_rating,
            previous_residual_rating=assessment.previous_residual_rating,
            categories_of_concern=categories_of_concern(assessment.items),
            outcome=assessment.outcome,
            assessed_at=assessment.assessed_at,
            assessed_by=assessment.assessed_by,
            next_review_date=assessment.next_review_date,
            summary=texts["summary"],
            recorded_at=assessment.recorded_at,
            recorded_by=assessment.recorded_by,
            current=assessment.current,
            overdue=is_overdue(assessment.next_review_date, today(), current=assessment.current),
            withheld=withheld,
        )

    @classmethod
    def seen_by(
        cls, viewer: NeedToKnow, assessment: Assessment, tracks: Sequence[Partnership]
    ) -> AssessmentView:
        """The assessment as ``viewer`` may read it; texts handed out are noted for audit."""
        texts = [assessment.summary, *(t for i in assessment.items for t in _texts(i))]
        ref = f"risk-assessment/{assessment.id}"
        return cls.of(assessment, shown=viewer.reveal(audience(assessment, tracks), ref, *texts))


def _texts(item: RiskItem) -> tuple[str | None, str | None]:
    return item.description, item.mitigation


@router.post(
    "/countries/{countryCode}/risk-assessments",
    status_code=201,
    summary="Record a do-no-harm risk assessment",
    responses={201: {"description": "Recorded; `Location` names the new assessment."}, **CONFLICT},
)
async def assess_risk(
    reference: Country,
    body: NewAssessment,
    caller: Writer,
    runtime: Runtime,
    urls: Urls,
    response: Response,
) -> AssessmentView:
    """Derive the ratings, supersede the scope's current assessment, emit an event.

    `human-rights-risk-assessed` carries the country, the ratings, the outcome, the categories of
    concern and the dates; never the texts.
    """
    violations = check_items(body.items) + refusals({"summary": body.summary}, Violation)
    async with runtime.unit_of_work() as uow:
        track = None
        if body.partnership_id is not None:
            track = await find_partnership(uow.session, reference.code, body.partnership_id)
            if track is None:
                violations.append(
                    Violation("partnershipId", f"{reference.code} has no such partnership track.")
                )
        latest = await current_assessment(uow.session, reference.code, body.partnership_id)
        violations += check_dates(
            assessed_at=body.assessed_at,
            next_review_date=body.next_review_date,
            now=now(),
            latest_in_scope=latest.assessed_at if latest else None,
        )
        raise_if(violations)
        assessed_by = assessing_organisation(caller, body.assessed_by, track)
        assessment = Assessment(
            id=uuid4(),
            country_code=reference.code,
            partnership_id=body.partnership_id,
            phase=body.phase,
            items=tuple(body.items),
            inherent_rating=inherent_rating(body.items),
            residual_rating=residual_rating(body.items),
            previous_residual_rating=latest.residual_rating if latest else None,
            outcome=body.outcome,
            assessed_at=body.assessed_at,
            assessed_by=assessed_by,
            next_review_date=body.next_review_date,
            summary=body.summary,
            recorded_at=now(),
            recorded_by=caller.organisation,
        )
        await add_assessment(uow.session, assessment)
        await uow.emit(
            HumanRightsRiskAssessed(
                country_code=reference.code,
                assessment_id=assessment.id,
                assessment_url=urls.assessment(reference.code, assessment.id),
                partnership_id=assessment.partnership_id,
                phase=assessment.phase,
                residual_rating=assessment.residual_rating,
                previous_residual_rating=assessment.previous_residual_rating,
                outcome=assessment.outcome,
                risk_categories=categories_of_concern(assessment.items),
                assessed_at=assessment.assessed_at,
                next_review_date=assessment.next_review_date,
            )
        )
    response.headers["Location"] = urls.assessment(reference.code, assessment.id)
    # The assessing side's own texts, just written: shown, and no read to note.
    return AssessmentView.of(assessment, shown=True)


OverdueFilter = Annotated[
    bool | None,
    Query(description="`true`: only current assessments past their review date; `false`: none."),
]
RatingFilter = Annotated[
    RiskRating | None, Query(alias="residualRating", description="Only this residual rating.")
]
CurrentFilter = Annotated[
    bool | None,
    Query(description="`true`: only the latest of each scope; `false`: only superseded ones."),
]


async def _page(
    request: Request, paging: PageParams, runtime: Runtime, where: AssessmentFilter, viewer: Viewer
) -> Page[AssessmentView]:
    async with runtime.sessions() as session:
        found, total = await assessments(
            session, where, offset=paging.offset, limit=paging.page_size
        )
        tracks = await tracks_of(session, (a.country_code for a in found))
    views = [AssessmentView.seen_by(viewer, a, tracks[a.country_code]) for a in found]
    return Page[AssessmentView].of(views, total=total, params=paging, request=request)


def _filter(
    *,
    country_code: str | None,
    partnership_id: UUID | None = None,
    overdue: bool | None,
    residual: RiskRating | None,
    current: bool | None,
) -> AssessmentFilter:
    day = today()
    return AssessmentFilter(
        country_code=country_code,
        partnership_id=partnership_id,
        residual_rating=residual,
        current=current,
        overdue_on=day if overdue is True else None,
        not_overdue_on=day if overdue is False else None,
    )


@router.get("/risk-assessments", summary="Risk assessments of all countries")
async def list_all_assessments(
    request: Request,
    viewer: Viewer,
    runtime: Runtime,
    paging: Paging,
    country_code: Annotated[
        CountryCode | None, Query(alias="countryCode", description="Only this country.")
    ] = None,
    overdue: OverdueFilter = None,
    residual_rating: RatingFilter = None,
    current: CurrentFilter = None,
) -> Page[AssessmentView]:
    """Newest first; `overdue=true` lists the assessments due for review."""
    where = _filter(
        country_code=country_code, overdue=overdue, residual=residual_rating, current=current
    )
    return await _page(request, paging, runtime, where, viewer)


@router.get("/countries/{countryCode}/risk-assessments", summary="A country's risk assessments")
async def list_assessments(
    request: Request,
    reference: Country,
    viewer: Viewer,
    runtime: Runtime,
    paging: Paging,
    partnership_id: Annotated[
        UUID | None, Query(alias="partnershipId", description="Only this partnership track.")
    ] = None,
    overdue: OverdueFilter = None,
    residual_rating: RatingFilter = None,
    current: CurrentFilter = None,
) -> Page[AssessmentView]:
    """Newest first."""
    where = _filter(
        country_code=reference.code,
        partnership_id=partnership_id,
        overdue=overdue,
        residual=residual_rating,
        current=current,
    )
    return await _page(request, paging, runtime, where, viewer)


@router.get("/countries/{countryCode}/risk-assessments/{assessmentId}", summary="A risk assessment")
async def get_assessment(
    reference: Country, assessment_id: AssessmentId, viewer: Viewer, runtime: Runtime
) -> AssessmentView:
    async with runtime.sessions() as session:
        assessment = await find_assessment(session, reference.code, assessment_id)
        tracks = await partnerships(session, country_code=reference.code)
    if assessment is None:
        raise NotFound(f"{reference.code} has no risk assessment {assessment_id}.")
    return AssessmentView.seen_by(viewer, assessment, tracks)

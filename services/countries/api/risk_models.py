"""What the risk-assessment routes take in and give out.

An assessment's texts (each item's description and mitigation, the summary)
are need-to-know: only its readers (:func:`services.countries.domain.risk.readers`)
get them; everyone gets the ratings, outcome, categories of concern and dates,
the structured facts the published event carries.
"""

from __future__ import annotations

from datetime import date
from typing import Final
from uuid import UUID

from pydantic import AwareDatetime, Field

from services.countries.domain.partnerships import KnownOrganisation
from services.countries.domain.risk import Assessment, RiskItem, categories_of_concern, is_overdue
from services.countries.service_layer.risk import ReadAssessment
from shared.contracts.vocabulary import AssessmentOutcome, AssessmentPhase, RiskCategory, RiskRating
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.shaping import built_from
from shared.need_to_know import Audience, NeedToKnow, need_to_know_text, withheld_field, withhold

READERS: Final = (
    "the assessed track's lead and participating organisations (for a country-wide "
    "assessment: those of the country's tracks that have not ended), the assessing and the "
    "recording organisation"
)


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
        return built_from(cls, item, **texts, withheld=withheld)


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
    def of(cls, assessment: Assessment, *, shown: bool, today: date) -> AssessmentView:
        """The assessment; its texts only when ``shown`` (else null and named withheld)."""
        texts, withheld = withhold(shown, summary=assessment.summary)
        overdue = is_overdue(assessment.next_review_date, today, current=assessment.current)
        items = [RiskItemView.of(item, shown=shown) for item in assessment.items]
        concern = categories_of_concern(assessment.items)
        return built_from(
            cls,
            assessment,
            **texts,
            items=items,
            categories_of_concern=concern,
            overdue=overdue,
            withheld=withheld,
        )

    @classmethod
    def seen_by(cls, viewer: NeedToKnow, read: ReadAssessment, today: date) -> AssessmentView:
        """The assessment as ``viewer`` may read it; texts handed out are noted for audit."""
        assessment = read.assessment
        texts = [assessment.summary, *(t for i in assessment.items for t in _texts(i))]
        ref = f"risk-assessment/{assessment.id}"
        shown = viewer.reveal(Audience.of(read.readers), ref, *texts)
        return cls.of(assessment, shown=shown, today=today)


def _texts(item: RiskItem) -> tuple[str | None, str | None]:
    return item.description, item.mitigation

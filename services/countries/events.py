"""The events the countries service publishes on ``taskforce.countries.v1``, from domain objects.

Each builder is pure: a use case hands it what it just changed and the
service's links, and emits the result in the same unit of work. Events link to
the resource (``profileUrl``, ``decisionUrl``, ...) instead of carrying it, and
never carry the free texts (rationales, risk descriptions, summaries).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.countries.domain.base import FieldChange
from services.countries.domain.designations import Decision, DecisionKind, kind_of
from services.countries.domain.partnerships import Partnership
from services.countries.domain.profiles import CountryProfile
from services.countries.domain.risk import Assessment, categories_of_concern
from services.countries.links import Links
from shared.contracts.countries import (
    CountryProfileUpdated,
    FocusDesignationChanged,
    FocusDesignationReviewed,
    HumanRightsRiskAssessed,
    PartnershipStatusChanged,
    PartnershipUpdated,
)


def profile_updated(
    profile: CountryProfile, changes: Sequence[FieldChange], links: Links
) -> CountryProfileUpdated:
    """``country-profile-updated``: the profile's new revision and the fields it changed."""
    if profile.updated_by is None:
        raise ValueError("a changed profile names who changed it")
    return CountryProfileUpdated(
        country_code=profile.country_code,
        profile_url=links.profile(profile.country_code),
        revision=profile.revision,
        changed_fields=tuple(change.field for change in changes),
        migration_roles=profile.content.migration_roles,
        changed_by=profile.updated_by,
    )


def designation_decided(
    decision: Decision, links: Links
) -> FocusDesignationChanged | FocusDesignationReviewed:
    """``focus-designation-changed`` when the designation changed, else ``-reviewed``."""
    fields: dict[str, Any] = {
        "country_code": decision.country_code,
        "profile_url": links.profile(decision.country_code),
        "decision_id": decision.id,
        "decision_url": links.decision(decision.country_code, decision.id),
        "designation": decision.designation,
        "decided_by": decision.decided_by,
        "decided_on": decision.decided_on,
        "weighted_score": decision.weighted_score,
        "review_date": decision.review_date,
    }
    if kind_of(decision.previous_designation, decision.designation) is DecisionKind.REVIEW:
        return FocusDesignationReviewed(**fields)
    return FocusDesignationChanged(**fields, previous_designation=decision.previous_designation)


def _track(partnership: Partnership, links: Links) -> dict[str, Any]:
    """The fields every partnership event carries."""
    content = partnership.content
    return {
        "country_code": partnership.country_code,
        "partnership_id": partnership.id,
        "partnership_url": links.partnership(partnership.country_code, partnership.id),
        "kind": content.kind,
        "status": partnership.status,
        "lead_organisation": content.lead_organisation,
        "participating_organisations": content.participating_organisations,
        "themes": content.themes,
        "instruments": content.instruments,
    }


def partnership_opened(partnership: Partnership, links: Links) -> PartnershipStatusChanged:
    """``partnership-status-changed`` without a previous status: the track was opened."""
    return PartnershipStatusChanged(
        **_track(partnership, links), effective_from=partnership.status_since
    )


def partnership_moved(
    partnership: Partnership, previous: Partnership, links: Links
) -> PartnershipStatusChanged:
    """``partnership-status-changed``: the track went from ``previous``'s status to its own."""
    return PartnershipStatusChanged(
        **_track(partnership, links),
        previous_status=previous.status,
        effective_from=partnership.status_since,
    )


def partnership_updated(
    partnership: Partnership, changed: Sequence[str], links: Links
) -> PartnershipUpdated:
    """``partnership-updated``: the track's new revision and the (camelCase) fields changed."""
    return PartnershipUpdated(
        **_track(partnership, links), revision=partnership.revision, changed_fields=changed
    )


def risk_assessed(assessment: Assessment, links: Links) -> HumanRightsRiskAssessed:
    """``human-rights-risk-assessed``: ratings, outcome, categories of concern and dates."""
    return HumanRightsRiskAssessed(
        country_code=assessment.country_code,
        assessment_id=assessment.id,
        assessment_url=links.assessment(assessment.country_code, assessment.id),
        partnership_id=assessment.partnership_id,
        phase=assessment.phase,
        residual_rating=assessment.residual_rating,
        previous_residual_rating=assessment.previous_residual_rating,
        outcome=assessment.outcome,
        risk_categories=categories_of_concern(assessment.items),
        assessed_at=assessment.assessed_at,
        next_review_date=assessment.next_review_date,
    )

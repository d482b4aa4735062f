"""The events the countries service publishes on ``taskforce.countries.v1``, from domain objects.

Each builder is pure: a use case hands it what it just changed and the
service's links, and emits the result in the same unit of work. Events link to
the resource (``profileUrl``, ``decisionUrl``, ...) instead of carrying it, and
never carry the free texts (rationales, risk descriptions, summaries). Each is
built from the domain object's same-named attributes
(:func:`shared.http.shaping.built_from`), stating only what it adds: the links
and what the event names otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

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
    PartnershipEvent,
    PartnershipStatusChanged,
    PartnershipUpdated,
)
from shared.http.shaping import built_from

E = TypeVar("E", bound=PartnershipEvent)


def profile_updated(
    profile: CountryProfile, changes: Sequence[FieldChange], links: Links
) -> CountryProfileUpdated:
    """``country-profile-updated``: the profile's new revision and the fields it changed."""
    return built_from(
        CountryProfileUpdated,
        profile.content,
        profile,
        profile_url=links.profile(profile.country_code),
        changed_fields=tuple(change.field for change in changes),
        changed_by=profile.updated_by,
    )


def designation_decided(
    decision: Decision, links: Links
) -> FocusDesignationChanged | FocusDesignationReviewed:
    """``focus-designation-changed`` when the designation changed, else ``-reviewed``."""
    links_to = {
        "profile_url": links.profile(decision.country_code),
        "decision_id": decision.id,
        "decision_url": links.decision(decision.country_code, decision.id),
    }
    if kind_of(decision.previous_designation, decision.designation) is DecisionKind.REVIEW:
        return built_from(FocusDesignationReviewed, decision, **links_to)
    return built_from(FocusDesignationChanged, decision, **links_to)


def partnership_opened(partnership: Partnership, links: Links) -> PartnershipStatusChanged:
    """``partnership-status-changed`` without a previous status: the track was opened."""
    return _track_event(
        PartnershipStatusChanged, partnership, links, effective_from=partnership.status_since
    )


def partnership_moved(
    partnership: Partnership, previous: Partnership, links: Links
) -> PartnershipStatusChanged:
    """``partnership-status-changed``: the track went from ``previous``'s status to its own."""
    return _track_event(
        PartnershipStatusChanged,
        partnership,
        links,
        previous_status=previous.status,
        effective_from=partnership.status_since,
    )


def partnership_updated(
    partnership: Partnership, changed: Sequence[str], links: Links
) -> PartnershipUpdated:
    """``partnership-updated``: the track's new revision and the (camelCase) fields changed."""
    return _track_event(PartnershipUpdated, partnership, links, changed_fields=tuple(changed))


def _track_event(event: type[E], partnership: Partnership, links: Links, **values: Any) -> E:
    """A partnership event: the track's routing fields (kind, status, who, what), and ``values``."""
    return built_from(
        event,
        partnership.content,
        partnership,
        partnership_id=partnership.id,
        partnership_url=links.partnership(partnership.country_code, partnership.id),
        **values,
    )


def risk_assessed(assessment: Assessment, links: Links) -> HumanRightsRiskAssessed:
    """``human-rights-risk-assessed``: ratings, outcome, categories of concern and dates."""
    return built_from(
        HumanRightsRiskAssessed,
        assessment,
        assessment_id=assessment.id,
        assessment_url=links.assessment(assessment.country_code, assessment.id),
        risk_categories=categories_of_concern(assessment.items),
    )

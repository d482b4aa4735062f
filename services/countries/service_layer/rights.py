"""The write rights of :mod:`services.countries.domain.rights`, applied to a change.

The use cases call these before they change anything, inside their unit of
work: a refusal is :class:`shared.errors.Forbidden` (a 403 problem) that says
who may, and rolls back everything, so a refused request changes nothing and
emits nothing. Each returns what the caller acts as (the deciding or assessing
organisation, the track it may change), so the recorded names can only be ones
the rules allow.
"""

from __future__ import annotations

from services.countries.domain import rights
from services.countries.domain.partnerships import Partnership
from shared.errors import Forbidden


def _forbid(reason: str | None) -> None:
    """Refuse with ``reason`` (who may), if there is one."""
    if reason is not None:
        raise Forbidden(reason)


def authorise_profile_change(organisation: str) -> None:
    """Only the profile keepers change a country profile."""
    _forbid(rights.profile_refusal(organisation))


def deciding_organisation(organisation: str, named: str | None) -> str:
    """Who decided a designation ``organisation`` records: itself, or whom the secretariat names."""
    _forbid(rights.designation_refusal(organisation, named))
    return named or organisation


def assessing_organisation(organisation: str, named: str | None, track: Partnership | None) -> str:
    """Who made a do-no-harm assessment ``organisation`` records (of ``track``, or the country)."""
    lead = None if track is None else track.content.lead_organisation
    _forbid(rights.assessment_refusal(organisation, named, lead))
    return named or organisation


def authorise_opening(organisation: str, lead: str) -> None:
    """A track is opened by its lead (or the secretariat)."""
    _forbid(rights.opening_refusal(organisation, lead))


def authorise_track_change(organisation: str, track: Partnership) -> None:
    """A track is changed (edited, moved) by its lead (or the secretariat)."""
    _forbid(
        rights.track_change_refusal(
            organisation, track.content.lead_organisation, track.content.title
        )
    )

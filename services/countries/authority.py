"""The write rights of :mod:`services.countries.domain.rights`, applied to a request.

The routes call these before they change anything, inside their unit of work:
a refusal is :class:`shared.errors.Forbidden` (a 403 problem) that says who
may, and rolls back everything, so a refused request changes nothing and emits
nothing. Each returns what the
caller acts as (the deciding or assessing organisation, the track it may
change), so the recorded names can only be ones the rules allow.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.countries.domain import rights
from services.countries.domain.partnerships import Partnership
from services.countries.storage.partnerships import find_partnership
from shared.errors import Forbidden, NotFound
from shared.http import Caller


def _forbid(reason: str | None) -> None:
    if reason is not None:
        raise Forbidden(reason)


def authorise_profile_change(caller: Caller) -> None:
    """Only the profile keepers change a country profile."""
    _forbid(rights.profile_refusal(caller.organisation))


def deciding_organisation(caller: Caller, named: str | None) -> str:
    """Who decided a designation the caller records: itself, or whom the secretariat names."""
    _forbid(rights.designation_refusal(caller.organisation, named))
    return named or caller.organisation


def assessing_organisation(caller: Caller, named: str | None, track: Partnership | None) -> str:
    """Who made a do-no-harm assessment the caller records (of ``track``, or the country)."""
    lead = None if track is None else track.content.lead_organisation
    _forbid(rights.assessment_refusal(caller.organisation, named, lead))
    return named or caller.organisation


def authorise_opening(caller: Caller, lead: str) -> None:
    """A track is opened by its lead (or the secretariat)."""
    _forbid(rights.opening_refusal(caller.organisation, lead))


async def track_to_change(
    session: AsyncSession, country_code: str, partnership_id: UUID, caller: Caller
) -> Partnership:
    """The track, if it exists (404) and the caller may change it (403)."""
    partnership = await find_partnership(session, country_code, partnership_id)
    if partnership is None:
        raise NotFound(f"{country_code} has no partnership track {partnership_id}.")
    _forbid(
        rights.track_change_refusal(
            caller.organisation, partnership.content.lead_organisation, partnership.content.title
        )
    )
    return partnership

"""Who reads a risk assessment's texts: the partnership's people, the assessor, the secretariat.

The letter has the cabinet map the risks of the cooperation "voorafgaand aan of
binnen een bestaand partnerschap", on the do-no-harm principle, for dialogue and
programming alike. A risk item's description and mitigation and the assessment's
summary say what may happen to migrants and others in that cooperation, so they
are need-to-know (:mod:`shared.need_to_know`). They belong to the partnership:

- an assessment of a track: the track's lead and participating organisations;
- a country-wide assessment: the lead and participating organisations of the
  country's tracks that have not ended (whoever still cooperates with the country);
- always the assessing and the recording organisation (they wrote it) and the
  taskforce secretariat.

Owners of programmes in the country are not named: the countries service keeps no
programmes (it reads no topic), and the programmes that matter are the
partnership's own, led by its organisations. Everyone gets the ratings, outcome,
categories of concern and dates: the structured facts the published event carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Final

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from services.countries.domain.partnerships import Partnership
from services.countries.domain.risk import Assessment
from services.countries.storage.partnerships import partnerships
from shared.contracts.vocabulary import PartnershipStatus
from shared.need_to_know import Audience, NeedToKnow, need_to_know_reader

READERS: Final = (
    "the assessed track's lead and participating organisations (for a country-wide "
    "assessment: those of the country's tracks that have not ended), the assessing and the "
    "recording organisation"
)

Viewer = Annotated[NeedToKnow, Depends(need_to_know_reader("countries"))]
"""The authenticated caller, judged for need-to-know texts."""

Tracks = dict[str, list[Partnership]]


def audience(assessment: Assessment, tracks: Sequence[Partnership]) -> Audience:
    """The readers of ``assessment``'s texts, given its country's ``tracks``."""
    if assessment.partnership_id is not None:
        involved = [t for t in tracks if t.id == assessment.partnership_id]
    else:
        involved = [t for t in tracks if t.status is not PartnershipStatus.ENDED]
    return Audience.of(
        assessment.assessed_by,
        assessment.recorded_by,
        [t.content.lead_organisation for t in involved],
        *(t.content.participating_organisations for t in involved),
    )


async def tracks_of(session: AsyncSession, country_codes: Iterable[str]) -> Tracks:
    """The partnership tracks of each country, each country looked up once."""
    return {
        code: await partnerships(session, country_code=code)
        for code in dict.fromkeys(country_codes)
    }

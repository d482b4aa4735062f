"""Who reads the programmes service's need-to-know texts: the programme's people.

A review decision's rationale and changes say why a programme is continued,
adapted, suspended or stopped, and often what happened to people on the ground.
They go to the programme's owning ministry, its participating Dutch ministries and
agencies, the organisation that decided and the taskforce secretariat (see
:mod:`shared.need_to_know`). A status change a review decided repeats the rationale
in its reason, so that reason is need-to-know too.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends

from services.programmes.domain.programme import Programme
from shared.need_to_know import Audience, NeedToKnow, need_to_know_reader

READERS: Final = (
    "the programme's owner, its participating organisations, the organisation that decided"
)

Viewer = Annotated[NeedToKnow, Depends(need_to_know_reader("programmes"))]
"""The authenticated caller, judged for need-to-know texts."""


def audience(programme: Programme, author: str | None) -> Audience:
    """The readers of a text ``author`` wrote about ``programme``."""
    return Audience.of(programme.owning_organisation, programme.partner_organisations, author)

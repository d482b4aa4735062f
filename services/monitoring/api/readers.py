"""Who reads monitoring's need-to-know texts: the programme's people and the author.

Incident and evaluation summaries, and results' qualitative values, comments and
correction reasons, are free text that may concern people on the routes. They
belong to the programme: its owning ministry and its participating organisations
(the partners its events name), the organisation that wrote the text, and the
taskforce secretariat read them (see :mod:`shared.need_to_know`).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends

from services.monitoring.domain.programmes import Programme
from shared.need_to_know import Audience, NeedToKnow, need_to_know_reader

READERS: Final = (
    "the programme's owner, its participating organisations, the organisation that wrote it"
)

Viewer = Annotated[NeedToKnow, Depends(need_to_know_reader("monitoring"))]
"""The authenticated caller, judged for need-to-know texts."""


def audience(programme: Programme | None, author: str) -> Audience:
    """The readers of a text ``author`` wrote about ``programme`` (unknown: author only)."""
    if programme is None:
        return Audience.of(author)
    return Audience.of(programme.owning_organisation, programme.partner_organisations, author)

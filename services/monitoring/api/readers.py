"""Who reads monitoring's need-to-know texts: the programme's people and the author.

Incident and evaluation summaries, and results' qualitative values, comments and
correction reasons, are free text that may concern people on the routes. They
belong to the programme: its owning ministry and its participating organisations
(the partners its events name), the organisation that wrote the text, and the
taskforce secretariat read them (see :mod:`shared.need_to_know`).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Depends

from services.monitoring.domain.programmes import Programme
from shared.need_to_know import Audience, NeedToKnow, need_to_know_reader, withhold

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


def summary_seen_by(
    viewer: NeedToKnow | None, readers: Audience, object_ref: str, summary: str
) -> dict[str, Any]:
    """A response's ``summary`` as ``viewer`` may read it, and ``withheld`` naming it if not.

    ``viewer`` None is the author, shown the text it has just written: no read
    to note. A summary handed out to anyone else is noted for the audit trail.
    """
    shown = viewer is None or viewer.reveal(readers, object_ref, summary)
    texts, withheld = withhold(shown, summary=summary)
    return {**texts, "withheld": withheld}

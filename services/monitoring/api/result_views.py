"""How an indicator result is shown: its values, its history, and its need-to-know texts.

A result's qualitative value, comment and correction reasons are free text about
what happened on the ground, so they may concern people: each version's texts go
to the programme's owner and participants, the secretariat and the organisation
that reported that version (:mod:`services.monitoring.api.readers`). The numbers,
dates, source and reporter are the structured facts everyone authenticated reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import Field
from sqlalchemy import select

from services.monitoring.api.readers import READERS, audience
from services.monitoring.storage.programmes import ProgrammeView
from services.monitoring.storage.tables import IndicatorResultRevisionRow, IndicatorResultRow
from shared.http import UtcDateTime
from shared.http.models import ApiModel
from shared.need_to_know import NeedToKnow, need_to_know_text, withheld_field, withhold
from shared.unit_of_work import UnitOfWork

#: Whether the texts written by an organisation are shown in this response.
ShownFor = Callable[[str], bool]


class ResultVersion(ApiModel):
    revision: int
    value: Decimal | None
    qualitative_value: str | None = need_to_know_text(
        "For a qualitative indicator: the result in words.", READERS
    )
    measured_on: date
    comment: str | None = need_to_know_text("Remarks with the value.", READERS)
    source: str
    reported_by: str
    recorded_at: UtcDateTime
    reason: str | None = need_to_know_text("For a correction: why.", READERS)
    withheld: list[str] = withheld_field("qualitativeValue", "comment", "reason")


class ResultOut(ApiModel):
    result_id: UUID
    programme_id: str
    indicator_id: str
    period_start: date
    period_end: date
    revision: int
    value: Decimal | None
    qualitative_value: str | None = need_to_know_text(
        "For a qualitative indicator: the result in words.", READERS
    )
    measured_on: date
    comment: str | None = need_to_know_text("Remarks with the value.", READERS)
    source: str
    reported_by: str
    recorded_at: UtcDateTime
    history: list[ResultVersion] = Field(description="Every version, oldest first.")
    withheld: list[str] = withheld_field("qualitativeValue", "comment")

    def reveals_text(self) -> bool:
        """True when the response hands out any need-to-know text (for the audit trail)."""
        versions = [(v.qualitative_value, v.comment, v.reason) for v in self.history]
        return any(
            t is not None
            for texts in [(self.qualitative_value, self.comment), *versions]
            for t in texts
        )


def decimal_of(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def own_texts(author: str) -> bool:
    """For the reporter's own response to what it just wrote: its texts are shown."""
    return True


def result_view(
    row: IndicatorResultRow, versions: Iterable[IndicatorResultRevisionRow], shown: ShownFor
) -> ResultOut:
    """The result with ``versions`` as its history, oldest first; texts where ``shown``."""
    current, withheld = withhold(
        shown(row.reported_by), qualitative_value=row.qualitative_value, comment=row.comment
    )
    history = []
    for v in versions:
        texts, kept_back = withhold(
            shown(v.reported_by),
            qualitative_value=v.qualitative_value,
            comment=v.comment,
            reason=v.reason,
        )
        history.append(
            ResultVersion(
                revision=v.revision,
                value=decimal_of(v.value),
                measured_on=v.measured_on,
                source=v.source,
                reported_by=v.reported_by,
                recorded_at=v.recorded_at,
                withheld=kept_back,
                **texts,
            )
        )
    return ResultOut(
        result_id=row.result_id,
        programme_id=row.programme_id,
        indicator_id=row.indicator_id,
        period_start=row.period_start,
        period_end=row.period_end,
        revision=row.revision,
        value=decimal_of(row.value),
        measured_on=row.measured_on,
        source=row.source,
        reported_by=row.reported_by,
        recorded_at=row.recorded_at,
        history=history,
        withheld=withheld,
        **current,
    )


async def result_seen_by(
    uow: UnitOfWork, viewer: NeedToKnow, row: IndicatorResultRow, programme: ProgrammeView | None
) -> ResultOut:
    """The result and its history as ``viewer`` may read them; texts handed out are noted."""
    versions = await uow.session.scalars(
        select(IndicatorResultRevisionRow)
        .where(IndicatorResultRevisionRow.result_id == row.result_id)
        .order_by(IndicatorResultRevisionRow.revision)
    )

    def shown(author: str) -> bool:
        return viewer.admits(audience(programme, author))

    view = result_view(row, versions, shown)
    if view.reveals_text():
        viewer.note(f"indicator-result/{row.result_id}")
    return view

"""Indicator results as requests and responses: values in, values and history out.

A result's qualitative value, comment and correction reasons are free text about
what happened on the ground, so they may concern people: each version's texts go
to the programme's owner and participants, the secretariat and the organisation
that reported that version (:mod:`services.monitoring.api.readers`). The numbers,
dates, source and reporter are the structured facts everyone authenticated reads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

from pydantic import Field

from services.monitoring.api.common import INDICATOR_ID_PATTERN, IndicatorValue
from services.monitoring.api.readers import READERS, audience
from services.monitoring.domain import results
from services.monitoring.domain.results import ReportedValues, ResultRecord
from services.monitoring.service_layer.reading import Read
from shared.contracts.vocabulary import PROGRAMME_ID_PATTERN
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.shaping import built_from
from shared.need_to_know import NeedToKnow, need_to_know_text, withheld_field, withhold

#: Whether the texts written by an organisation are shown in this response.
ShownFor = Callable[[str], bool]
#: A version's need-to-know texts, and those of the result's current values.
VERSION_TEXTS: Final = ("qualitative_value", "comment", "reason")
RESULT_TEXTS: Final = ("qualitative_value", "comment")


class ResultValues(InputModel):
    value: IndicatorValue | None = Field(
        default=None, description="The actual value; absent for a qualitative indicator."
    )
    qualitative_value: Text | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="For a qualitative indicator: the result in words, about no one in person "
        "(refused when it carries a date of birth, an address, a phone or identifying number "
        "or an e-mail address).",
    )
    measured_on: date | None = Field(
        default=None,
        description="When the value was measured, within the period; defaults to the period's "
        "end or today, whichever is earlier. Targets are pro-rated to it.",
    )
    comment: Text | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="A remark on the value, about no one in person (refused like "
        "`qualitativeValue`).",
    )
    source: Text = Field(
        min_length=1, max_length=200, description="Where the value comes from, e.g. a report."
    )

    def reported(self) -> ReportedValues:
        return ReportedValues(
            self.value, self.qualitative_value, self.measured_on, self.comment, self.source
        )


class NewResult(ResultValues):
    programme_id: str = Field(pattern=PROGRAMME_ID_PATTERN)
    indicator_id: str = Field(pattern=INDICATOR_ID_PATTERN)
    period_start: date
    period_end: date


class Correction(ResultValues):
    reason: Text = Field(
        min_length=1,
        max_length=500,
        description="Why the value was corrected, about no one in person (refused like "
        "`qualitativeValue`).",
    )


QUALITATIVE_VALUE = need_to_know_text("For a qualitative indicator: the result in words.", READERS)
COMMENT = need_to_know_text("Remarks with the value.", READERS)


class ResultVersion(ApiModel):
    revision: int
    value: Decimal | None
    qualitative_value: str | None = QUALITATIVE_VALUE
    measured_on: date
    comment: str | None = COMMENT
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
    qualitative_value: str | None = QUALITATIVE_VALUE
    measured_on: date
    comment: str | None = COMMENT
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


def own_texts(author: str) -> bool:
    """For the reporter's own response to what it just wrote: its texts are shown."""
    return True


def _texts(shown: bool, version: results.ResultVersion, *names: str) -> dict[str, Any]:
    """The version's need-to-know texts as shown, and ``withheld`` naming those that are not."""
    texts, withheld = withhold(shown, **{name: getattr(version, name) for name in names})
    return {**texts, "withheld": withheld}


def result_view(record: ResultRecord, shown: ShownFor) -> ResultOut:
    """The result with its history, oldest first; texts where ``shown`` for their reporter."""
    history = [
        built_from(ResultVersion, v, **_texts(shown(v.reported_by), v, *VERSION_TEXTS))
        for v in record.history
    ]
    current = record.result.current
    texts = _texts(shown(current.reported_by), current, *RESULT_TEXTS)
    return built_from(ResultOut, record.result, current, history=history, **texts)


def result_seen_by(viewer: NeedToKnow, found: Read[ResultRecord]) -> ResultOut:
    """The result and its history as ``viewer`` may read them; texts handed out are noted."""

    def shown(author: str) -> bool:
        return viewer.admits(audience(found.programme, author))

    view = result_view(found.item, shown)
    if view.reveals_text():
        viewer.note(f"indicator-result/{found.item.result.result_id}")
    return view

"""Flags and the rules in force, as responses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from services.monitoring.domain.flags import Flag
from services.monitoring.domain.rules import Rule
from shared.contracts.monitoring import EvidenceRef
from shared.contracts.vocabulary import EvidenceKind, FlagCategory, ReviewDecision, Severity
from shared.http import UtcDateTime
from shared.http.models import ApiModel
from shared.http.shaping import built_from

FlagState = Literal["open", "resolved"]


class FlagOut(ApiModel):
    flag_id: UUID
    programme_id: str
    rule_id: str
    rule_version: int
    category: FlagCategory
    severity: Severity
    state: FlagState
    recommends_disbursement_hold: bool
    evidence: list[EvidenceRef]
    raised_at: UtcDateTime
    resolved_at: UtcDateTime | None = None
    review_id: UUID | None = None
    decision: ReviewDecision | None = None

    @classmethod
    def of(cls, flag: Flag) -> FlagOut:
        return built_from(
            cls,
            flag,
            flag.raised_by,
            flag.resolved,
            state=flag.state.value,
            recommends_disbursement_hold=flag.recommends_hold,
        )


class RuleOut(ApiModel):
    rule_id: str
    version: int
    category: FlagCategory
    reads: EvidenceKind = Field(description="The evidence the rule is evaluated on.")
    definition: str
    parameters: dict[str, Decimal]

    @classmethod
    def of(cls, rule: Rule[Any]) -> RuleOut:
        return built_from(cls, rule, parameters=dict(rule.parameters))


class RuleList(ApiModel):
    items: list[RuleOut]

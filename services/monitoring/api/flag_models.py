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
        return cls(
            flag_id=flag.flag_id,
            programme_id=flag.programme_id,
            rule_id=flag.rule_id,
            rule_version=flag.rule_version,
            category=flag.category,
            severity=flag.severity,
            state="open" if flag.open else "resolved",
            recommends_disbursement_hold=flag.recommends_hold,
            evidence=list(flag.evidence),
            raised_at=flag.raised_at,
            resolved_at=flag.resolved_at,
            review_id=flag.review_id,
            decision=flag.decision,
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
        return cls(
            rule_id=rule.rule_id,
            version=rule.version,
            category=rule.category,
            reads=rule.reads,
            definition=rule.definition,
            parameters=dict(rule.parameters),
        )


class RuleList(ApiModel):
    items: list[RuleOut]

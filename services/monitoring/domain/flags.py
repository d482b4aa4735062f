"""Flags: a rule's finding on a programme, open until a review answers it.

A flag's id is derived from rule, programme and evidence
(:meth:`~services.monitoring.domain.rules.Finding.flag_id`), so a finding whose
flag exists already, open or resolved, raises nothing: replaying every topic
from the start yields the same flags, and redelivered events none extra. A
flag is resolved once, by the programme owner's review decision that names it;
a resolved flag stays resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from services.monitoring.domain.rules import Finding
from shared.contracts.monitoring import EvidenceRef
from shared.contracts.vocabulary import FlagCategory, FlagResolution, ReviewDecision, Severity


class FlagState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Flag:
    flag_id: UUID
    programme_id: str
    rule_id: str
    rule_version: int
    category: FlagCategory
    severity: Severity
    evidence: tuple[EvidenceRef, ...]
    recommends_hold: bool
    raised_at: datetime
    state: FlagState = FlagState.OPEN
    resolved_at: datetime | None = None
    resolution: FlagResolution | None = None
    review_id: UUID | None = None
    decision: ReviewDecision | None = None

    @classmethod
    def raised(
        cls,
        finding: Finding,
        programme_id: str,
        evidence: tuple[EvidenceRef, ...],
        at: datetime,
    ) -> Flag:
        """The open flag ``finding`` raises on the programme, with its evidence located."""
        rule, verdict = finding.rule, finding.verdict
        return cls(
            flag_id=finding.flag_id(programme_id),
            programme_id=programme_id,
            rule_id=rule.rule_id,
            rule_version=rule.version,
            category=rule.category,
            severity=verdict.severity,
            evidence=evidence,
            recommends_hold=verdict.recommends_hold,
            raised_at=at,
        )

    @property
    def open(self) -> bool:
        return self.state is FlagState.OPEN

    def answered_by_review_of(self, programme_id: str) -> bool:
        """True when a review of ``programme_id`` that names this flag resolves it."""
        return self.open and self.programme_id == programme_id

    def resolved_by_review(self, review_id: UUID, decision: ReviewDecision, at: datetime) -> Flag:
        return replace(
            self,
            state=FlagState.RESOLVED,
            resolved_at=at,
            resolution=FlagResolution.REVIEW_DECIDED,
            review_id=review_id,
            decision=decision,
        )

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
class Resolution:
    """How a flag was closed: by the review decision that answered it, and when."""

    resolved_at: datetime
    review_id: UUID
    decision: ReviewDecision
    resolution: FlagResolution = FlagResolution.REVIEW_DECIDED


@dataclass(frozen=True)
class RaisedBy:
    """The rule that raised a flag, at the version that did (a new meaning is a new version)."""

    rule_id: str
    rule_version: int
    category: FlagCategory


@dataclass(frozen=True)
class Flag:
    """A rule's finding on a programme: which rule, how urgent, on what evidence."""

    flag_id: UUID
    programme_id: str
    raised_by: RaisedBy
    #: The rule's verdict: how urgent, on what evidence, and whether to hold disbursements.
    severity: Severity
    evidence: tuple[EvidenceRef, ...]
    recommends_hold: bool
    raised_at: datetime
    #: None while the flag is open.
    resolved: Resolution | None = None

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
            raised_by=RaisedBy(rule.rule_id, rule.version, rule.category),
            severity=verdict.severity,
            evidence=evidence,
            recommends_hold=verdict.recommends_hold,
            raised_at=at,
        )

    @property
    def category(self) -> FlagCategory:
        return self.raised_by.category

    @property
    def state(self) -> FlagState:
        return FlagState.OPEN if self.resolved is None else FlagState.RESOLVED

    def answered_by_review_of(self, programme_id: str) -> bool:
        """True when a review of ``programme_id`` that names this flag resolves it."""
        return self.resolved is None and self.programme_id == programme_id

    def resolved_by_review(self, review_id: UUID, decision: ReviewDecision, at: datetime) -> Flag:
        return replace(self, resolved=Resolution(at, review_id, decision))

"""Domain objects for the programmes tests, valid unless a test says otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from services.programmes.domain.budget import (
    BudgetKey,
    Override,
    Transaction,
    TransactionType,
    YearBudget,
)
from services.programmes.domain.programme import (
    OrganisationRole,
    ParticipatingOrganisation,
    Programme,
    ReportingOrganisation,
    ReturnAssistance,
    Share,
)
from shared.contracts.vocabulary import ActivityStatus, BudgetLine, Theme

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
IOM = ParticipatingOrganisation(
    role=OrganisationRole.IMPLEMENTING,
    name="International Organization for Migration",
    ref="XM-DAC-47066",
    type="40",
    crs_channel_code="47066",
)


def programme(**changes: Any) -> Programme:
    base = Programme(
        programme_id="prg-2026-0001",
        iati_identifier="XM-DAC-7-prg-2026-0001",
        title="Countering migrant smuggling in North Africa",
        description="Support to partner authorities against smuggling networks.",
        reporting_organisation=ReportingOrganisation("XM-DAC-7", "10", "Netherlands MFA"),
        owning_organisation="am",
        participating_organisations=(IOM,),
        status=ActivityStatus.IMPLEMENTATION,
        planned_start=date(2026, 1, 1),
        planned_end=date(2028, 12, 31),
        recipient_countries=(Share("TUN", Decimal(60)), Share("MAR", Decimal(40))),
        sectors=(Share("15190", Decimal(100)),),
        themes=(Theme.ANTI_SMUGGLING_AND_TRAFFICKING,),
        return_assistance=ReturnAssistance.NONE,
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(base, **changes)


def key(year: int = 2026, line: BudgetLine = BudgetLine.BHO, oda: bool = True) -> BudgetKey:
    return BudgetKey(year, line, oda)


def budget(
    amount: str, year: int = 2026, line: BudgetLine = BudgetLine.BHO, oda: bool = True
) -> YearBudget:
    return YearBudget(key(year, line, oda), Decimal(amount))


def transaction(
    amount: str,
    type_: TransactionType = TransactionType.COMMITMENT,
    *,
    on: date = date(2026, 2, 1),
    line: BudgetLine = BudgetLine.BHO,
    oda: bool = True,
    override: str | None = None,
) -> Transaction:
    return Transaction(
        transaction_id=uuid4(),
        programme_id="prg-2026-0001",
        type=type_,
        transaction_date=on,
        line=line,
        oda=oda,
        amount=Decimal(amount),
        recorded_by="am",
        recorded_at=NOW,
        override=None if override is None else Override(override, "am", NOW),
    )

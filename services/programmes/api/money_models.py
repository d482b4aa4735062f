"""Budgets, transactions and the budget frame as the API shows them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from services.programmes.api.common import Money, SignedMoney
from services.programmes.domain.budget import BudgetKey, Transaction, TransactionType, YearBudget
from services.programmes.domain.frame import BUDGET_HOLDERS, BudgetFrame, YearSummary
from shared.contracts.vocabulary import BudgetLine
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text

Currency = Literal["EUR"]
#: A sum of amounts (a budget's total, a cell's bookings): each part fits ``Money``, their sum
#: need not, and a read model must show whatever the writes it sums were allowed to add up to.
Sum = Annotated[SignedMoney, Field(description="Euros with two decimals, a sum of amounts.")]


class YearBudgetIn(InputModel):
    year: int = Field(ge=2000, le=2100)
    budget_line: BudgetLine = Field(description="`bho` (BHO) or `am` (A&M).")
    oda: bool = Field(description="True when the amount counts as ODA.")
    amount: Money
    currency: Currency = "EUR"

    def to_domain(self) -> YearBudget:
        return YearBudget(BudgetKey(self.year, self.budget_line, self.oda), self.amount)


class BudgetIn(InputModel):
    """The programme's whole budget; it replaces the one before."""

    budgets: list[YearBudgetIn] = Field(max_length=100)


class YearBudgetOut(ApiModel):
    year: int
    budget_line: BudgetLine
    oda: bool
    amount: Money
    committed: Sum = Field(description="Commitments booked on this year, line and ODA flag.")
    disbursed: Sum = Field(description="Disbursements booked on it.")
    currency: Currency = "EUR"


class BudgetOut(ApiModel):
    programme_id: str
    currency: Currency = "EUR"
    total: Sum
    budgets: list[YearBudgetOut]


class OverrideIn(InputModel):
    reason: Text = Field(
        min_length=1, max_length=2000, description="Why the budget may be exceeded."
    )


class TransactionIn(InputModel):
    """A commitment or disbursement; it may exceed the budget only with an override."""

    type: Literal["commitment", "disbursement"]
    transaction_date: date = Field(description="Its year decides the budget year it counts on.")
    budget_line: BudgetLine
    oda: bool
    amount: Money
    currency: Currency = "EUR"
    description: Text | None = Field(default=None, min_length=1, max_length=500)
    override: OverrideIn | None = Field(
        default=None, description="Book beyond the budget; who, when and why are recorded."
    )

    @property
    def transaction_type(self) -> TransactionType:
        return TransactionType[self.type.upper()]


class OverrideOut(ApiModel):
    reason: str
    by: str
    at: UtcDateTime


class TransactionOut(ApiModel):
    transaction_id: UUID
    type: str = Field(description="`commitment` (IATI 2) or `disbursement` (IATI 3).")
    transaction_date: date
    year: int
    budget_line: BudgetLine
    oda: bool
    amount: Money
    currency: Currency = "EUR"
    description: str | None = None
    recorded_by: str
    recorded_at: UtcDateTime
    override: OverrideOut | None = None

    @classmethod
    def of(cls, t: Transaction) -> TransactionOut:
        return cls(
            transaction_id=t.transaction_id,
            type=t.type.label,
            transaction_date=t.transaction_date,
            year=t.transaction_date.year,
            budget_line=t.line,
            oda=t.oda,
            amount=t.amount,
            description=t.description,
            recorded_by=t.recorded_by,
            recorded_at=t.recorded_at,
            override=(
                None
                if t.override is None
                else OverrideOut(reason=t.override.reason, by=t.override.by, at=t.override.at)
            ),
        )


class TransactionList(ApiModel):
    items: list[TransactionOut]


class FrameCellOut(ApiModel):
    year: int
    budget_line: BudgetLine
    oda: bool
    budget_holder: str = Field(description="The ministry that holds the budget line.")
    amount: Money


class BudgetFrameOut(ApiModel):
    """The taskforce budget frame, as configured."""

    currency: Currency = "EUR"
    illustrative: bool = Field(
        description="True while the frame is the built-in illustrative split of the seed's totals."
    )
    cells: list[FrameCellOut]

    @classmethod
    def of(cls, frame: BudgetFrame, illustrative: bool) -> BudgetFrameOut:
        return cls(
            illustrative=illustrative,
            cells=[
                FrameCellOut(
                    year=c.key.year,
                    budget_line=c.key.line,
                    oda=c.key.oda,
                    budget_holder=BUDGET_HOLDERS[c.key.line],
                    amount=c.amount,
                )
                for c in frame.cells
            ],
        )


class CellSummaryOut(ApiModel):
    budget_line: BudgetLine
    oda: bool
    budget_holder: str
    framed: Money
    committed: Sum
    disbursed: Sum
    headroom: SignedMoney = Field(description="Framed minus committed; negative when exceeded.")


class YearSummaryOut(ApiModel):
    year: int
    framed: Money
    committed: Sum
    disbursed: Sum
    headroom: SignedMoney = Field(description="Framed minus committed; negative when exceeded.")
    exceeded: bool = Field(description="True when any cell's commitments exceed its frame.")
    cells: list[CellSummaryOut]

    @classmethod
    def of(cls, s: YearSummary) -> YearSummaryOut:
        return cls(
            year=s.year,
            framed=s.framed,
            committed=s.committed,
            disbursed=s.disbursed,
            headroom=s.headroom,
            exceeded=any(c.headroom < 0 for c in s.cells),
            cells=[
                CellSummaryOut(
                    budget_line=c.key.line,
                    oda=c.key.oda,
                    budget_holder=BUDGET_HOLDERS[c.key.line],
                    framed=c.framed,
                    committed=c.committed,
                    disbursed=c.disbursed,
                    headroom=c.headroom,
                )
                for c in s.cells
            ],
        )


class FrameSummaryOut(ApiModel):
    currency: Currency = "EUR"
    years: list[YearSummaryOut]

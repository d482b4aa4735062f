"""``/budgets``, ``/transactions`` of a programme, and the taskforce ``/budget-frame``."""

from __future__ import annotations

from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Query

from services.programmes.api.common import CONFLICT, Context, Writer
from services.programmes.api.money_models import (
    BudgetFrameOut,
    BudgetIn,
    BudgetOut,
    FrameSummaryOut,
    TransactionIn,
    TransactionList,
    TransactionOut,
    YearBudgetOut,
    YearSummaryOut,
)
from services.programmes.domain.budget import BudgetStatement, Override, Transaction
from services.programmes.service_layer import money as use_cases
from services.programmes.service_layer.commands import ReplaceBudget
from services.programmes.settings import DEFAULT_FRAME
from shared.http import AuthenticatedCaller
from shared.http.dependencies import ProgrammeIdPath, Runtime
from shared.http.routes import creates, replaces

router = APIRouter(prefix="/programmes/{programmeId}", tags=["Money"])
frame_router = APIRouter(prefix="/budget-frame", tags=["Budget frame"])


def budget_view(statement: BudgetStatement) -> BudgetOut:
    return BudgetOut(
        programme_id=statement.programme_id,
        total=statement.total,
        budgets=[
            YearBudgetOut(
                year=b.key.year,
                budget_line=b.key.line,
                oda=b.key.oda,
                amount=b.amount,
                committed=statement.committed(b.key),
                disbursed=statement.disbursed(b.key),
            )
            for b in statement.budgets
        ],
    )


@router.get("/budgets", operation_id="getBudget", summary="The programme's budget by year")
async def get_budget(
    programme_id: ProgrammeIdPath, caller: AuthenticatedCaller, runtime: Runtime
) -> BudgetOut:
    async with runtime.unit_of_work() as uow:
        statement = await use_cases.get_budget(programme_id, uow)
    return budget_view(statement)


@replaces(
    router,
    "/budgets",
    "replaceBudget",
    "Set the programme's budget per year, budget line and ODA flag (the owner only)",
    CONFLICT,
)
async def replace_budget(
    programme_id: ProgrammeIdPath, body: BudgetIn, caller: Writer, runtime: Runtime, ctx: Context
) -> BudgetOut:
    """ODA is refused on a programme that assists forced returns (OECD DAC 15190)."""
    budgets = tuple(item.to_domain() for item in body.budgets)
    command = ReplaceBudget(programme_id, caller.organisation, budgets)
    async with runtime.unit_of_work() as uow:
        statement = await use_cases.replace_budget(command, uow, ctx)
    return budget_view(statement)


@router.get(
    "/transactions", operation_id="listTransactions", summary="Commitments and disbursements"
)
async def list_transactions(
    programme_id: ProgrammeIdPath, caller: AuthenticatedCaller, runtime: Runtime
) -> TransactionList:
    async with runtime.unit_of_work() as uow:
        found = await use_cases.list_transactions(programme_id, uow)
    return TransactionList(items=[TransactionOut.of(t) for t in found])


@creates(
    router,
    "/transactions",
    "bookTransaction",
    "Book a commitment or disbursement (the owner only)",
    CONFLICT,
)
async def book_transaction(
    programme_id: ProgrammeIdPath,
    body: TransactionIn,
    caller: Writer,
    runtime: Runtime,
    ctx: Context,
) -> TransactionOut:
    """Beyond the budget only with an override; a commitment above the frame alerts finance."""
    now = ctx.now()
    new = Transaction(
        transaction_id=uuid4(),
        programme_id=programme_id,
        type=body.transaction_type,
        transaction_date=body.transaction_date,
        line=body.budget_line,
        oda=body.oda,
        amount=body.amount,
        recorded_by=caller.organisation,
        recorded_at=now,
        description=body.description,
        override=(
            None
            if body.override is None
            else Override(body.override.reason, caller.organisation, now)
        ),
    )
    async with runtime.unit_of_work() as uow:
        booked = await use_cases.book_transaction(new, uow, ctx)
    return TransactionOut.of(booked)


@frame_router.get("", operation_id="getBudgetFrame", summary="The taskforce budget frame")
async def get_budget_frame(caller: AuthenticatedCaller, ctx: Context) -> BudgetFrameOut:
    return BudgetFrameOut.of(ctx.frame, ctx.settings.budget_frame == DEFAULT_FRAME)


@frame_router.get(
    "/summary",
    operation_id="getBudgetFrameSummary",
    summary="Framed, committed, disbursed and headroom per year",
)
async def get_budget_frame_summary(
    caller: AuthenticatedCaller,
    runtime: Runtime,
    ctx: Context,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Only this year.")] = None,
) -> FrameSummaryOut:
    async with runtime.unit_of_work() as uow:
        summaries = await use_cases.frame_summaries(year, uow, ctx)
    return FrameSummaryOut(years=[YearSummaryOut.of(s) for s in summaries])

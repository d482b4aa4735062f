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
from services.programmes.commands import money as commands
from services.programmes.commands.programmes import load, load_owned
from services.programmes.domain.budget import (
    Override,
    Transaction,
    TransactionType,
    YearBudget,
    booked,
    budget_total,
)
from services.programmes.domain.rights import ProgrammeWrite
from services.programmes.settings import DEFAULT_FRAME
from services.programmes.storage import money
from shared.http import AuthenticatedCaller
from shared.http.dependencies import ProgrammeIdPath, Runtime
from shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/programmes/{programmeId}", tags=["Money"])
frame_router = APIRouter(prefix="/budget-frame", tags=["Budget frame"])


async def _budget_view(uow: UnitOfWork, programme_id: str) -> BudgetOut:
    budgets: list[YearBudget] = await money.budgets(uow.session, programme_id)
    booked_items = await money.transactions(uow.session, programme_id)
    return BudgetOut(
        programme_id=programme_id,
        total=budget_total(budgets),
        budgets=[
            YearBudgetOut(
                year=b.key.year,
                budget_line=b.key.line,
                oda=b.key.oda,
                amount=b.amount,
                committed=booked(booked_items, b.key, TransactionType.COMMITMENT),
                disbursed=booked(booked_items, b.key, TransactionType.DISBURSEMENT),
            )
            for b in budgets
        ],
    )


@router.get("/budgets", operation_id="getBudget", summary="The programme's budget by year")
async def get_budget(
    programme_id: ProgrammeIdPath, caller: AuthenticatedCaller, runtime: Runtime
) -> BudgetOut:
    async with runtime.unit_of_work() as uow:
        await load(uow, programme_id)
        return await _budget_view(uow, programme_id)


@router.put(
    "/budgets",
    operation_id="replaceBudget",
    summary="Set the programme's budget per year, budget line and ODA flag (the owner only)",
    responses=CONFLICT,
)
async def replace_budget(
    programme_id: ProgrammeIdPath, body: BudgetIn, caller: Writer, runtime: Runtime, ctx: Context
) -> BudgetOut:
    """ODA is refused on a programme that assists forced returns (OECD DAC 15190)."""
    async with runtime.unit_of_work() as uow:
        programme = await load_owned(uow, programme_id, caller.organisation, ProgrammeWrite.BUDGET)
        await commands.replace_budgets(
            uow, ctx, programme, [item.to_domain() for item in body.budgets]
        )
        return await _budget_view(uow, programme_id)


@router.get(
    "/transactions", operation_id="listTransactions", summary="Commitments and disbursements"
)
async def list_transactions(
    programme_id: ProgrammeIdPath, caller: AuthenticatedCaller, runtime: Runtime
) -> TransactionList:
    async with runtime.unit_of_work() as uow:
        await load(uow, programme_id)
        found = await money.transactions(uow.session, programme_id)
    return TransactionList(items=[TransactionOut.of(t) for t in found])


@router.post(
    "/transactions",
    operation_id="bookTransaction",
    summary="Book a commitment or disbursement (the owner only)",
    status_code=201,
    responses=CONFLICT,
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
        programme = await load_owned(
            uow, programme_id, caller.organisation, ProgrammeWrite.TRANSACTION
        )
        booked_item, _ = await commands.book(uow, ctx, programme, new)
    return TransactionOut.of(booked_item)


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
        summaries = await commands.frame_summaries(uow.session, ctx, year)
    return FrameSummaryOut(years=[YearSummaryOut.of(s) for s in summaries])

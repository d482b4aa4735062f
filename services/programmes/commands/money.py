"""Budgets, transactions, and the taskforce budget frame they are set against."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.programmes import events
from services.programmes.context import ProgrammesContext
from services.programmes.domain import lifecycle
from services.programmes.domain.budget import (
    Transaction,
    TransactionType,
    YearBudget,
    check_budgets,
    check_transaction,
)
from services.programmes.domain.frame import (
    FrameExcess,
    YearSummary,
    excess_after_commitment,
    summarise,
    summary_years,
)
from services.programmes.domain.money import ZERO
from services.programmes.domain.programme import Programme
from services.programmes.storage import money, reviews
from services.programmes.storage import programmes as store
from shared.errors import Conflict, raise_if
from shared.unit_of_work import UnitOfWork


async def replace_budgets(
    uow: UnitOfWork, ctx: ProgrammesContext, programme: Programme, items: Sequence[YearBudget]
) -> list[YearBudget]:
    """The programme's budget becomes ``items``; no cell is lowered below what is booked on it."""
    if programme.status in lifecycle.TERMINAL:
        raise Conflict(
            f"The budget of a {lifecycle.STATUS_NAMES[programme.status]} programme is final."
        )
    booked = await money.transactions(uow.session, programme.programme_id)
    current = await money.budgets(uow.session, programme.programme_id)
    raise_if(check_budgets(programme, items, booked, current))
    await money.replace_budgets(uow.session, programme.programme_id, items)
    await store.touch(uow.session, programme.programme_id, ctx.now())
    return await money.budgets(uow.session, programme.programme_id)


async def book(
    uow: UnitOfWork, ctx: ProgrammesContext, programme: Programme, new: Transaction
) -> tuple[Transaction, FrameExcess | None]:
    """Book a commitment or disbursement; a commitment above the frame alerts finance.

    The commitment is accepted either way: the frame is a planning figure for
    the whole taskforce, not a limit on one programme. Its budget is.
    """
    open_review = await reviews.open_review_of(uow.session, programme.programme_id)
    check_transaction(
        programme,
        await money.budgets(uow.session, programme.programme_id),
        await money.transactions(uow.session, programme.programme_id),
        new,
        disbursements_on_hold=open_review is not None and open_review.holds_disbursements,
    )
    await money.add_transaction(uow.session, new)
    await store.touch(uow.session, programme.programme_id, ctx.now())
    excess = None
    if new.type is TransactionType.COMMITMENT:
        committed = await money.booked_by_cell(
            uow.session, TransactionType.COMMITMENT, new.key.year
        )
        excess = excess_after_commitment(ctx.frame, new.key, committed.get(new.key, ZERO))
        if excess is not None:
            await uow.emit(events.frame_exceeded(programme, new, excess, ctx.links))
    return new, excess


async def frame_summaries(
    session: AsyncSession, ctx: ProgrammesContext, year: int | None = None
) -> list[YearSummary]:
    """Framed, committed, disbursed and headroom per year (one year, or every relevant one)."""
    committed = await money.booked_by_cell(session, TransactionType.COMMITMENT, year)
    disbursed = await money.booked_by_cell(session, TransactionType.DISBURSEMENT, year)
    years = [year] if year is not None else summary_years(ctx.frame, [*committed, *disbursed])
    return [summarise(ctx.frame, y, committed, disbursed) for y in years]

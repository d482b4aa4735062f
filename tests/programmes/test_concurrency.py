"""Concurrent decisions on PostgreSQL: the rules hold when two transactions race.

Each test runs the first transaction up to the decision and holds it open (an
``asyncio.Event``) while the second starts, the way two requests or two
consumers interleave under READ COMMITTED. On SQLite the second waits for the
first (one writer, and the process's write gate), so there the tests are
serial and pass trivially; on PostgreSQL they pass only because of the locks
the use cases take:

- the frame: without ``money.lock_frame_cell`` in ``book_transaction`` neither
  of two concurrent commitments sees the other, the cell ends above its frame
  and no ``budget-frame-exceeded`` is sent (``test_two_commitments_...`` fails);
- reviews: without the programme's row lock in ``take_flag`` both findings see
  no open review; the partial unique index ``uq_review_open_per_programme``
  then refuses the second review and its finding fails (``test_two_flags_...``);
- ids: ``prg-YYYY-NNNN`` and the outbox's sequence are single upserts, atomic
  on PostgreSQL: many concurrent registrations get distinct, gapless numbers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.programmes import events
from services.programmes.context import ProgrammesContext
from services.programmes.domain.budget import Transaction, TransactionType
from services.programmes.domain.reviews import Origin
from services.programmes.service_layer.commands import TakeFlag
from services.programmes.service_layer.money import book_transaction
from services.programmes.service_layer.programmes import load_programme
from services.programmes.service_layer.reviews import take_flag
from services.programmes.settings import FrameCellSetting, ProgrammesSettings
from shared.contracts.monitoring import ProgrammeFlagged
from shared.contracts.vocabulary import BudgetLine, Severity
from shared.events.catalogue import entry_for
from shared.outbox import OutboxMessage
from shared.unit_of_work import UnitOfWork
from tests.databases import TestDatabases
from tests.programmes.conftest import (
    MONITORING_SOURCE,
    YEAR,
    Service,
    running,
    settings_for,
)

#: One cell, so that two programmes' commitments of 1,000,000 together exceed it.
FRAME = [FrameCellSetting(year=YEAR, budget_line=BudgetLine.BHO, oda=True, amount_eur=1_500_000)]

Step = Callable[[UnitOfWork, ProgrammesContext], Awaitable[object]]


@pytest.fixture(scope="module")
async def framed(
    tmp_path_factory: pytest.TempPathFactory, database: TestDatabases
) -> AsyncIterator[Service]:
    var = tmp_path_factory.mktemp("concurrency")
    settings = settings_for(var, None, database=database)
    async with running(settings, ProgrammesSettings(budget_frame=FRAME)) as started:
        yield started


def context(service: Service) -> ProgrammesContext:
    ctx: ProgrammesContext = service.app.state.context
    return ctx


async def race(service: Service, first: Step, second: Step) -> None:
    """``first`` done and held uncommitted while ``second`` starts; then both commit.

    The pause lets ``second`` run as far as it can before ``first`` commits: on
    PostgreSQL, without a lock, all the way to its own commit.
    """
    ctx = context(service)
    decided, release = asyncio.Event(), asyncio.Event()

    async def held() -> None:
        async with service.runtime.unit_of_work() as uow:
            await first(uow, ctx)
            decided.set()
            await release.wait()

    async def then() -> None:
        async with service.runtime.unit_of_work() as uow:
            await second(uow, ctx)

    holding = asyncio.create_task(held())
    waiting = asyncio.create_task(decided.wait())
    await asyncio.wait([holding, waiting], return_when=asyncio.FIRST_COMPLETED)
    if holding.done():
        waiting.cancel()
        holding.result()  # ``first`` failed: its error, not a wait for ever
    following = asyncio.create_task(then())
    await asyncio.sleep(0.5)
    release.set()
    await asyncio.gather(holding, following)


def commitment(programme_id: str, amount: str) -> Transaction:
    return Transaction(
        transaction_id=uuid.uuid4(),
        programme_id=programme_id,
        type=TransactionType.COMMITMENT,
        transaction_date=datetime(YEAR, 4, 15, tzinfo=UTC).date(),
        line=BudgetLine.BHO,
        oda=True,
        amount=Decimal(amount),
        recorded_by="am",
        recorded_at=datetime.now(UTC),
    )


async def test_two_commitments_that_together_exceed_the_frame_report_it(
    framed: Service,
) -> None:
    first, second = await framed.approved(), await framed.approved()
    one, other = commitment(first, "1000000.00"), commitment(second, "1000000.00")

    async def book(new: Transaction) -> Step:
        return lambda uow, ctx: book_transaction(new, uow, ctx)

    await race(framed, await book(one), await book(other))

    alerts = [e for e in await framed.emitted() if e.name == "budget-frame-exceeded"]
    assert [(a.key, a.data["transactionId"]) for a in alerts] == [
        (second, str(other.transaction_id))
    ]
    assert Decimal(alerts[0].data["committedEur"]) == Decimal("2000000.00")


async def test_many_concurrent_commitments_alert_once_the_frame_is_passed(
    framed: Service,
) -> None:
    """Through the API at once: every commitment after the one that passes the frame alerts."""
    programmes = [await framed.approved() for _ in range(6)]
    before = await framed.client.get(
        "/v1/budget-frame/summary", params={"year": YEAR}, headers=framed.auth("bz", [])
    )
    committed = Decimal(before.json()["years"][0]["committed"])
    sent = [e.data.get("transactionId") for e in await framed.emitted()]

    async def commit(programme_id: str) -> None:
        response = await framed.client.post(
            f"/v1/programmes/{programme_id}/transactions",
            json={
                "type": "commitment",
                "transactionDate": f"{YEAR}-05-01",
                "budgetLine": "bho",
                "oda": True,
                "amount": "300000.00",
            },
            headers=framed.auth(),
        )
        assert response.status_code == 201, response.text

    await asyncio.gather(*(commit(p) for p in programmes))

    alerts = [
        e
        for e in await framed.emitted()
        if e.name == "budget-frame-exceeded" and e.data["transactionId"] not in sent
    ]
    # Each commitment saw the ones committed before it: the sums alerted are all different,
    # each 300,000 above the last, and every commitment leaving the cell above 1,500,000 alerted.
    sums = sorted(Decimal(a.data["committedEur"]) for a in alerts)
    expected = [
        committed + Decimal(300_000) * n
        for n in range(1, 7)
        if committed + Decimal(300_000) * n > Decimal(1_500_000)
    ]
    assert sums == expected


def flag_on(programme_id: str) -> TakeFlag:
    return TakeFlag(
        programme_id=programme_id,
        flag_id=uuid.uuid4(),
        category="underperforming",
        severity=Severity.MEDIUM,
        recommends_hold=False,
        origin=Origin(
            MONITORING_SOURCE,
            str(uuid.uuid4()),
            entry_for(ProgrammeFlagged).type,
            datetime.now(UTC),
        ),
    )


async def test_two_flags_at_once_open_one_review_which_the_other_joins(
    framed: Service,
) -> None:
    programme_id = await framed.approved()
    one, other = flag_on(programme_id), flag_on(programme_id)

    await race(
        framed,
        lambda uow, ctx: take_flag(one, uow, ctx),
        lambda uow, ctx: take_flag(other, uow, ctx),
    )

    reviews = (
        await framed.client.get(f"/v1/programmes/{programme_id}/reviews", headers=framed.auth())
    ).json()["items"]
    assert len(reviews) == 1
    assert len(reviews[0]["triggers"]) == 2
    opened = [e for e in await framed.emitted(programme_id) if e.name == "review-opened"]
    assert len(opened) == 1


async def test_concurrent_registrations_get_distinct_consecutive_ids(framed: Service) -> None:
    created = await asyncio.gather(*(framed.create() for _ in range(12)))
    numbers = sorted(int(p.rsplit("-", 1)[1]) for p in created)
    assert len(set(created)) == 12
    assert numbers == list(range(numbers[0], numbers[0] + 12))


async def test_concurrent_events_get_distinct_consecutive_outbox_sequences(
    framed: Service,
) -> None:
    """The outbox numbers each aggregate's events by one upsert: no number is handed out twice."""
    programme_id = await framed.create()
    ctx = context(framed)

    async def touch(uow: UnitOfWork) -> None:
        programme = await load_programme(programme_id, uow)
        await uow.emit(events.registered(programme, ctx.links))

    async def emit() -> None:
        async with framed.runtime.unit_of_work() as uow:
            await touch(uow)

    await asyncio.gather(*(emit() for _ in range(10)))
    async with framed.runtime.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.key == programme_id))
        sequences = sorted(int(row.header_value("ce_sequence") or "0") for row in rows)
    assert sequences == list(range(1, 12))

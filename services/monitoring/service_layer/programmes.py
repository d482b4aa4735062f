"""Keeping the programmes read model and the monitoring plans from the programmes topic.

Every programmes event refreshes the programme's routing fields; approval
starts implementation; a plan is replaced whole, and only by a revision at
least as new as the one held, so a replay from the start rebuilds the same model.
"""

from __future__ import annotations

from services.monitoring.context import MonitoringContext
from services.monitoring.domain.programmes import Announcement, Programme
from services.monitoring.service_layer.commands import TakePlan
from services.monitoring.storage import programmes
from shared.unit_of_work import UnitOfWork


async def announced(news: Announcement, uow: UnitOfWork) -> Programme:
    """The programme as ``news`` leaves it (not yet stored): known before or new to monitoring."""
    held = await programmes.get(uow.session, news.programme_id)
    return Programme.first_announced(news) if held is None else held.announced(news)


async def note_programme(news: Announcement, uow: UnitOfWork, ctx: MonitoringContext) -> None:
    """A programme was registered or moved on: its routing fields and status."""
    await programmes.save(uow.session, await announced(news, uow), now=ctx.now())


async def take_plan(command: TakePlan, uow: UnitOfWork, ctx: MonitoringContext) -> None:
    """A programme's results framework: its monitoring plan, unless an older revision."""
    programme = await announced(command.news, uow)
    if command.approval:
        programme = programme.approved()
    if programme.takes_plan(command.revision):
        await programmes.replace_plan(uow.session, programme.programme_id, command.indicators)
        programme = programme.with_plan(command.revision)
    await programmes.save(uow.session, programme, now=ctx.now())

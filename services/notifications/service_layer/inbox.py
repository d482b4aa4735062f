"""The inbox use cases: an organisation reads what was routed to it and marks it read or unread."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.context import NotificationsContext
from services.notifications.domain.inbox import InboxEntry
from services.notifications.domain.rights import held_by
from services.notifications.service_layer.commands import (
    InboxQuery,
    Listing,
    MarkInboxEntry,
    OfInboxEntry,
)
from services.notifications.storage import inbox
from shared.unit_of_work import UnitOfWork


async def get_inbox_entry(asked: OfInboxEntry, session: AsyncSession) -> InboxEntry:
    """The entry, if it is in the asking organisation's inbox."""
    return held_by(asked.organisation, await inbox.get(session, asked.entry_id), "inbox entry")


async def list_inbox(query: InboxQuery, session: AsyncSession) -> Listing[InboxEntry]:
    found, total = await inbox.of_organisation(
        session,
        query.organisation,
        read=query.read,
        offset=query.window.offset,
        limit=query.window.limit,
    )
    return Listing(found, total)


async def mark_inbox_entry(
    command: MarkInboxEntry, uow: UnitOfWork, ctx: NotificationsContext
) -> InboxEntry:
    entry = await get_inbox_entry(OfInboxEntry(command.entry_id, command.organisation), uow.session)
    marked = entry.marked(command.read, ctx.now())
    await inbox.save(uow.session, marked)
    return marked

"""``/inbox``: every notification routed to the caller's organisation, readable and markable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.notifications.api.common import NOT_FOUND, Context, EntryIdPath, Reading, Writer
from services.notifications.api.inbox_models import InboxEntryOut, InboxEntryPatch
from services.notifications.service_layer import inbox
from services.notifications.service_layer.commands import (
    InboxQuery,
    MarkInboxEntry,
    OfInboxEntry,
    Window,
)
from shared.http import AuthenticatedCaller
from shared.http.dependencies import Paging, Runtime
from shared.http.pagination import Page

router = APIRouter(prefix="/inbox", tags=["Inbox"])


async def _to_read(entry_id: EntryIdPath, caller: AuthenticatedCaller) -> OfInboxEntry:
    return OfInboxEntry(entry_id, caller.organisation)


ToRead = Annotated[OfInboxEntry, Depends(_to_read)]
"""The inbox entry in the path, asked for by the caller's organisation."""


@router.get("", operation_id="listInbox", summary="The organisation's inbox, newest first")
async def list_inbox(
    request: Request,
    caller: AuthenticatedCaller,
    paging: Paging,
    session: Reading,
    read: Annotated[bool | None, Query(description="Only read (true) or unread (false).")] = None,
) -> Page[InboxEntryOut]:
    query = InboxQuery(caller.organisation, read, Window.of(paging))
    found = await inbox.list_inbox(query, session)
    items = [InboxEntryOut.of(e) for e in found.items]
    return Page[InboxEntryOut].of(items, total=found.total, params=paging, request=request)


@router.get("/{entryId}", operation_id="getInboxEntry", summary="One entry", responses=NOT_FOUND)
async def get_inbox_entry(asked: ToRead, session: Reading) -> InboxEntryOut:
    return InboxEntryOut.of(await inbox.get_inbox_entry(asked, session))


@router.patch(
    "/{entryId}",
    operation_id="markInboxEntry",
    summary="Mark an entry read or unread",
    responses=NOT_FOUND,
)
async def mark_inbox_entry(
    entry_id: EntryIdPath, body: InboxEntryPatch, caller: Writer, runtime: Runtime, ctx: Context
) -> InboxEntryOut:
    async with runtime.unit_of_work() as uow:
        command = MarkInboxEntry(entry_id, caller.organisation, body.read)
        marked = await inbox.mark_inbox_entry(command, uow, ctx)
    return InboxEntryOut.of(marked)

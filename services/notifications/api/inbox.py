"""``/inbox``: every notification routed to the caller's organisation, readable and markable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.notifications.api.common import (
    NOT_FOUND,
    Context,
    EntryIdPath,
    Paging,
    Runtime,
    Writer,
)
from services.notifications.api.models import InboxEntryOut, InboxEntryPatch
from services.notifications.domain.rights import manages
from services.notifications.storage import store
from shared.errors import NotFound
from shared.http import AuthenticatedCaller
from shared.http.pagination import Page

router = APIRouter(prefix="/inbox", tags=["Inbox"])


@router.get("", operation_id="listInbox", summary="The organisation's inbox, newest first")
async def list_inbox(
    caller: AuthenticatedCaller,
    runtime: Runtime,
    request: Request,
    paging: Paging,
    read: Annotated[bool | None, Query(description="Only read (true) or unread (false).")] = None,
) -> Page[InboxEntryOut]:
    async with runtime.sessions() as session:
        rows, total = await store.inbox_of(
            session, caller.organisation, read=read, offset=paging.offset, limit=paging.page_size
        )
    items = [InboxEntryOut.of(r) for r in rows]
    return Page[InboxEntryOut].of(items, total=total, params=paging, request=request)


@router.get("/{entryId}", operation_id="getInboxEntry", summary="One entry", responses=NOT_FOUND)
async def get_inbox_entry(
    entry_id: EntryIdPath, caller: AuthenticatedCaller, runtime: Runtime
) -> InboxEntryOut:
    async with runtime.sessions() as session:
        row = await store.inbox_entry(session, entry_id)
    if row is None or not manages(caller.organisation, row.organisation):
        raise NotFound("No inbox entry of your organisation has that id.")
    return InboxEntryOut.of(row)


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
        row = await store.inbox_entry(uow.session, entry_id)
        if row is None or not manages(caller.organisation, row.organisation):
            raise NotFound("No inbox entry of your organisation has that id.")
        if body.read and row.read_at is None:
            row.read_at = ctx.now()
        elif not body.read:
            row.read_at = None
    return InboxEntryOut.of(row)

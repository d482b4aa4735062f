"""Partnership tracks: opening them, editing them, moving them through their statuses, reading."""

from __future__ import annotations

from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.countries import events
from services.countries.context import CountriesContext
from services.countries.domain.base import merge
from services.countries.domain.partnerships import (
    Partnership,
    StatusChange,
    changed_fields,
    check_content,
    check_opening,
    check_patch,
    check_transition,
)
from services.countries.service_layer.commands import (
    ChangePartnership,
    MovePartnership,
    OpenPartnership,
    TrackFilter,
)
from services.countries.service_layer.rights import authorise_opening, authorise_track_change
from services.countries.storage import partnerships as store
from shared.errors import NotFound, raise_if
from shared.unit_of_work import UnitOfWork


async def partnership_tracks(wanted: TrackFilter, session: AsyncSession) -> list[Partnership]:
    """The tracks ``wanted`` selects, by country, then in the order they were opened."""
    found = await store.partnerships(
        session, country_code=wanted.country_code, status=wanted.status
    )
    return [
        p
        for p in found
        if (wanted.kind is None or p.content.kind is wanted.kind)
        and (wanted.theme is None or wanted.theme in p.content.themes)
        and (wanted.organisation is None or p.involves(wanted.organisation))
    ]


async def partnership_track(
    country_code: str, partnership_id: UUID, session: AsyncSession
) -> Partnership:
    """The track, if the country has it (else :class:`NotFound`)."""
    partnership = await store.find_partnership(session, country_code, partnership_id)
    if partnership is None:
        raise NotFound(f"{country_code} has no partnership track {partnership_id}.")
    return partnership


async def status_history(
    country_code: str, partnership_id: UUID, session: AsyncSession
) -> list[StatusChange]:
    """The track's statuses, oldest first, from the opening one to the current one."""
    await partnership_track(country_code, partnership_id, session)
    return await store.status_changes(session, partnership_id)


async def open_partnership(
    command: OpenPartnership, uow: UnitOfWork, ctx: CountriesContext
) -> Partnership:
    """Open a track (by its lead or the secretariat); its opening is its first status change."""
    authorise_opening(command.by, command.content.lead_organisation)
    raise_if([*check_content(command.content), *check_opening(command.status)])
    at = ctx.now()
    partnership = Partnership.opened(
        uuid4(),
        command.country_code,
        command.content,
        command.status,
        command.status_since,
        at,
        command.by,
    )
    await store.save_partnership(uow.session, partnership)
    await store.add_status_change(
        uow.session,
        partnership.id,
        StatusChange(command.status, None, command.status_since, None, at, command.by),
    )
    await uow.emit(events.partnership_opened(partnership, ctx.links))
    return partnership


async def _track_to_change(
    session: AsyncSession, country_code: str, partnership_id: UUID, organisation: str
) -> Partnership:
    """The track, locked, if it exists (404) and ``organisation`` may change it (403).

    The row lock orders concurrent edits and moves of one track: each reads the
    track as the one before it left it (its status, its revision).
    """
    partnership = await store.find_partnership(
        session, country_code, partnership_id, for_update=True
    )
    if partnership is None:
        raise NotFound(f"{country_code} has no partnership track {partnership_id}.")
    authorise_track_change(organisation, partnership)
    return partnership


async def change_partnership(
    command: ChangePartnership, uow: UnitOfWork, ctx: CountriesContext
) -> Partnership:
    """Apply a merge patch to everything but the status; a change is a revision and an event."""
    raise_if(check_patch(command.updates))
    partnership = await _track_to_change(
        uow.session, command.country_code, command.partnership_id, command.by
    )
    content = merge(partnership.content, command.updates)
    raise_if(check_content(content))
    changed = changed_fields(partnership.content, content)
    if not changed:
        return partnership
    partnership = partnership.edited(content, ctx.now(), command.by)
    await store.save_partnership(uow.session, partnership)
    await uow.emit(events.partnership_updated(partnership, changed, ctx.links))
    return partnership


async def move_partnership(
    command: MovePartnership, uow: UnitOfWork, ctx: CountriesContext
) -> Partnership:
    """Move a track along the transition table; the move is kept in its history."""
    before = await _track_to_change(
        uow.session, command.country_code, command.partnership_id, command.by
    )
    raise_if(
        check_transition(before.status, before.status_since, command.status, command.effective_from)
    )
    at = ctx.now()
    partnership = before.moved(command.status, command.effective_from, at, command.by)
    await store.save_partnership(uow.session, partnership)
    await store.add_status_change(
        uow.session,
        partnership.id,
        StatusChange(
            command.status, before.status, command.effective_from, command.reason, at, command.by
        ),
    )
    await uow.emit(events.partnership_moved(partnership, before, ctx.links))
    return partnership

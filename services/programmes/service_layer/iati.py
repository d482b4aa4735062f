"""The registry as IATI activities, for the XML export."""

from __future__ import annotations

from services.programmes.domain.activity import ActivityRecord
from services.programmes.service_layer.commands import Window
from services.programmes.service_layer.programmes import load_programme
from services.programmes.storage import activities
from shared.unit_of_work import UnitOfWork


async def export_activity(programme_id: str, uow: UnitOfWork) -> ActivityRecord:
    return await activities.activity_of(uow.session, await load_programme(programme_id, uow))


async def export_activities(window: Window, uow: UnitOfWork) -> tuple[list[ActivityRecord], int]:
    """One page of the registry's activities and how many programmes it holds."""
    return await activities.activities(uow.session, offset=window.offset, limit=window.limit)

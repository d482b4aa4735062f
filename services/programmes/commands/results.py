"""Setting a programme's results framework."""

from __future__ import annotations

from collections.abc import Sequence

from services.programmes import events
from services.programmes.context import ProgrammesContext
from services.programmes.domain import lifecycle
from services.programmes.domain.programme import Programme
from services.programmes.domain.results import Indicator, check_framework
from services.programmes.storage import programmes as store
from services.programmes.storage import results
from shared.errors import Conflict, raise_if
from shared.unit_of_work import UnitOfWork


async def replace_framework(
    uow: UnitOfWork, ctx: ProgrammesContext, programme: Programme, items: Sequence[Indicator]
) -> tuple[int, list[Indicator]]:
    """The framework becomes ``items`` as a new revision; monitoring is told the full set."""
    if programme.status in lifecycle.TERMINAL:
        raise Conflict(
            "The results framework of a "
            f"{lifecycle.STATUS_NAMES[programme.status]} programme is final."
        )
    raise_if(check_framework(items))
    if programme.status is not lifecycle.PIPELINE and not items:
        raise Conflict("An approved programme keeps at least one indicator.")
    revision = programme.results_framework_revision + 1
    await results.replace_indicators(uow.session, programme.programme_id, items)
    await store.set_results_framework_revision(
        uow.session, programme.programme_id, revision, ctx.now()
    )
    await uow.emit(events.results_framework_changed(programme, revision, items, ctx.links))
    return revision, list(items)

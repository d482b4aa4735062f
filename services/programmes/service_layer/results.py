"""A programme's results framework: read, and replaced as a new revision."""

from __future__ import annotations

from services.programmes import events
from services.programmes.context import ProgrammesContext
from services.programmes.domain import lifecycle
from services.programmes.domain.results import ResultsFramework, check_framework
from services.programmes.domain.rights import ProgrammeWrite
from services.programmes.service_layer.commands import ReplaceResultsFramework
from services.programmes.service_layer.programmes import load_owned, load_programme
from services.programmes.storage import programmes as store
from services.programmes.storage import results
from shared.errors import Conflict, raise_if
from shared.unit_of_work import UnitOfWork


async def get_results_framework(programme_id: str, uow: UnitOfWork) -> ResultsFramework:
    programme = await load_programme(programme_id, uow)
    indicators = await results.indicators(uow.session, programme_id)
    return ResultsFramework(programme_id, programme.results_framework_revision, tuple(indicators))


async def replace_results_framework(
    command: ReplaceResultsFramework, uow: UnitOfWork, ctx: ProgrammesContext
) -> ResultsFramework:
    """The framework becomes the one sent, as a new revision; monitoring is told the full set."""
    programme = await load_owned(
        command.programme_id, command.organisation, ProgrammeWrite.RESULTS_FRAMEWORK, uow
    )
    items = command.indicators
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
    return ResultsFramework(programme.programme_id, revision, items)

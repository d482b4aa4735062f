"""Registering programmes, reading them, and moving them through their lifecycle."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

from services.programmes import events
from services.programmes.context import ProgrammesContext
from services.programmes.domain import lifecycle
from services.programmes.domain.lifecycle import Transition
from services.programmes.domain.programme import (
    Programme,
    ReportingOrganisation,
    check_new_programme,
    check_owner,
    with_owner_accountable,
)
from services.programmes.domain.reviews import ProgrammeStanding
from services.programmes.domain.rights import ProgrammeWrite, refusal
from services.programmes.service_layer.commands import ChangeStatus, FindProgrammes
from services.programmes.storage import money, results, reviews
from services.programmes.storage import programmes as store
from shared.errors import Conflict, Forbidden, NotFound, Violation, raise_if
from shared.unit_of_work import UnitOfWork


async def load_programme(
    programme_id: str, uow: UnitOfWork, *, for_update: bool = False
) -> Programme:
    """The programme (locked for change when ``for_update``); 404 when there is none."""
    programme = await store.get(uow.session, programme_id, for_update=for_update)
    if programme is None:
        raise NotFound(f"There is no programme {programme_id}.")
    return programme


async def load_owned(
    programme_id: str, organisation: str, write: ProgrammeWrite, uow: UnitOfWork
) -> Programme:
    """The programme, locked for change, if ``organisation`` may make ``write``; 404 or 403.

    Who may is :func:`services.programmes.domain.rights.refusal`'s to say (the owner).
    """
    programme = await load_programme(programme_id, uow, for_update=True)
    reason = refusal(
        write, owner=programme.owning_organisation, programme_id=programme_id, caller=organisation
    )
    if reason is not None:
        raise Forbidden(reason)
    return programme


async def standing_of(programme: Programme, uow: UnitOfWork) -> ProgrammeStanding:
    """The programme with the review open on it, if any."""
    open_review = await reviews.open_review_of(uow.session, programme.programme_id)
    return ProgrammeStanding(programme, open_review)


async def get_programme(programme_id: str, uow: UnitOfWork) -> ProgrammeStanding:
    return await standing_of(await load_programme(programme_id, uow), uow)


async def list_programmes(
    query: FindProgrammes, uow: UnitOfWork
) -> tuple[list[ProgrammeStanding], int]:
    """One page of the programmes matching the criteria, and how many match in all."""
    found, total = await store.search(
        uow.session, query.criteria, offset=query.window.offset, limit=query.window.limit
    )
    return [await standing_of(p, uow) for p in found], total


async def list_status_transitions(
    programme_id: str, uow: UnitOfWork
) -> tuple[Programme, list[Transition]]:
    """The programme's lifecycle so far, with the programme (its people read the reasons)."""
    programme = await load_programme(programme_id, uow)
    return programme, await store.transitions(uow.session, programme_id)


async def register_programme(
    draft: Programme, uow: UnitOfWork, ctx: ProgrammesContext
) -> ProgrammeStanding:
    """Enter ``draft`` (owner, content) in the registry, in the pipeline, with a new id.

    ``draft.programme_id`` is ignored and ``iati_identifier`` may be empty: the
    registry numbers programmes itself and derives the identifier from the
    reporting organisation when none is given.
    """
    check_owner(draft.owning_organisation)
    now = ctx.now()
    reporting = ReportingOrganisation(
        ctx.settings.reporting_org_ref,
        ctx.settings.reporting_org_type,
        ctx.settings.reporting_org_name,
    )
    programme_id = await store.next_programme_id(uow.session, now.year)
    programme = replace(
        draft,
        programme_id=programme_id,
        iati_identifier=draft.iati_identifier or f"{reporting.ref}-{programme_id}",
        reporting_organisation=reporting,
        participating_organisations=with_owner_accountable(
            draft.owning_organisation, draft.participating_organisations
        ),
        status=lifecycle.PIPELINE,
        created_at=now,
        updated_at=now,
    )
    raise_if(check_new_programme(programme, reporting_prefix=reporting.ref))
    if await store.iati_identifier_taken(uow.session, programme.iati_identifier):
        raise Conflict(f"IATI identifier {programme.iati_identifier} is already registered.")
    await store.add(uow.session, programme)
    await uow.emit(events.registered(programme, ctx.links))
    # Just registered: no review can be open on it yet.
    return ProgrammeStanding(programme)


async def change_status(
    command: ChangeStatus, uow: UnitOfWork, ctx: ProgrammesContext
) -> Transition:
    """The owner moves the programme to another status (see :func:`move`)."""
    programme = await load_owned(
        command.programme_id, command.organisation, ProgrammeWrite.STATUS, uow
    )
    _, transition = await move(programme, command, uow, ctx)
    return transition


async def move(
    programme: Programme, command: ChangeStatus, uow: UnitOfWork, ctx: ProgrammesContext
) -> tuple[Programme, Transition]:
    """Move ``programme`` to the status asked if the state machine allows it; record who, when, why.

    Approval (pipeline to implementation) also needs a budget and a results
    framework, and announces both in ``programme-approved``. The caller has
    loaded the programme for change and checked the right to make the move.
    """
    target = command.status
    lifecycle.check_transition(programme.status, target)
    now = ctx.now()
    effective = command.effective_on or now.date()
    if effective > now.date():
        raise_if([Violation("effectiveOn", "a status change is recorded when it happens")])
    history = await store.transitions(uow.session, programme.programme_id)
    if history and effective < history[-1].effective_on:
        raise_if(
            [
                Violation(
                    "effectiveOn",
                    f"is before the programme's last status change ({history[-1].effective_on})",
                )
            ]
        )
    transition = Transition(
        transition_id=uuid4(),
        programme_id=programme.programme_id,
        from_status=programme.status,
        to_status=target,
        effective_on=effective,
        changed_by=command.organisation,
        recorded_at=now,
        reason=command.reason,
        review_id=command.review_id,
    )
    budgets = indicators = None
    if transition.is_approval:
        budgets = await money.budgets(uow.session, programme.programme_id)
        indicators = await results.indicators(uow.session, programme.programme_id)
        missing = [
            what
            for what, present in (("a budget", budgets), ("a results framework", indicators))
            if not present
        ]
        if missing:
            raise Conflict("Approval needs " + " and ".join(missing) + " first.")
    actual_start = programme.actual_start
    actual_end = programme.actual_end
    if target is lifecycle.IMPLEMENTATION and actual_start is None:
        actual_start = effective
    if target in (lifecycle.FINALISATION, lifecycle.CANCELLED) and actual_end is None:
        actual_end = effective
    changed = replace(
        programme, status=target, actual_start=actual_start, actual_end=actual_end, updated_at=now
    )
    await store.save_status(
        uow.session,
        programme,
        status=target,
        actual_start=actual_start,
        actual_end=actual_end,
        updated_at=now,
    )
    await store.record_transition(uow.session, transition)
    if budgets and indicators:
        await uow.emit(events.approved(changed, transition, budgets, indicators, ctx.links))
    await uow.emit(events.status_changed(changed, transition, ctx.links))
    return changed, transition

"""Registering programmes and moving them through their lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import UUID, uuid4

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
from services.programmes.domain.rights import ProgrammeWrite, refusal
from services.programmes.storage import money, results
from services.programmes.storage import programmes as store
from shared.contracts.vocabulary import ActivityStatus
from shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Violation,
    raise_if,
)
from shared.unit_of_work import UnitOfWork


async def load(uow: UnitOfWork, programme_id: str, *, for_update: bool = False) -> Programme:
    programme = await store.get(uow.session, programme_id, for_update=for_update)
    if programme is None:
        raise NotFound(f"There is no programme {programme_id}.")
    return programme


async def load_owned(
    uow: UnitOfWork, programme_id: str, organisation: str, write: ProgrammeWrite
) -> Programme:
    """The programme, locked for change, if ``organisation`` may make ``write``; 404 or 403.

    Who may is :func:`services.programmes.domain.rights.refusal`'s to say (the owner).
    """
    programme = await load(uow, programme_id, for_update=True)
    reason = refusal(
        write, owner=programme.owning_organisation, programme_id=programme_id, caller=organisation
    )
    if reason is not None:
        raise Forbidden(reason)
    return programme


async def register(uow: UnitOfWork, ctx: ProgrammesContext, draft: Programme) -> Programme:
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
    return programme


async def change_status(
    uow: UnitOfWork,
    ctx: ProgrammesContext,
    programme: Programme,
    target: ActivityStatus,
    *,
    changed_by: str,
    reason: str,
    effective_on: date | None = None,
    review_id: UUID | None = None,
) -> tuple[Programme, Transition]:
    """Move ``programme`` to ``target`` if the state machine allows it, and record who, when, why.

    Approval (pipeline to implementation) also needs a budget and a results
    framework, and announces both in ``programme-approved``.
    """
    lifecycle.check_transition(programme.status, target)
    now = ctx.now()
    effective = effective_on or now.date()
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
        changed_by=changed_by,
        recorded_at=now,
        reason=reason,
        review_id=review_id,
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

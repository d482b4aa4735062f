"""Evaluations and incident reports: recording them, and reading them back.

Each is announced (``evaluation-recorded``, ``incident-reported``), then every
rule that reads that kind of evidence runs on it.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from services.monitoring import events
from services.monitoring.context import MonitoringContext
from services.monitoring.domain.evidence import (
    Evaluation,
    EvaluationReport,
    Incident,
    IncidentReport,
    Report,
    reported_on,
)
from services.monitoring.domain.programmes import Programme
from services.monitoring.domain.rights import check_reporter
from services.monitoring.domain.rules import Facts
from services.monitoring.service_layer.commands import EvidenceQuery
from services.monitoring.service_layer.flags import raise_flags
from services.monitoring.service_layer.reading import Listing, Read, read_one, read_page
from services.monitoring.storage import evaluations, incidents, programmes
from shared.events.catalogue import EventData
from shared.unit_of_work import UnitOfWork


async def record_evaluation(
    report: EvaluationReport, uow: UnitOfWork, ctx: MonitoringContext
) -> Read[Evaluation]:
    """Record an evaluation with its ratings; the evaluation rules run on it."""
    programme = await _reported_on(report, uow, ctx)
    evaluation = Evaluation.recorded(report, uuid.uuid4(), ctx.now())
    await evaluations.add(uow.session, evaluation)
    announced = events.evaluation_recorded(programme, evaluation, ctx.links)
    await _assess(uow, ctx, programme, announced, evaluation.facts())
    return Read(evaluation, programme)


async def report_incident(
    report: IncidentReport, uow: UnitOfWork, ctx: MonitoringContext
) -> Read[Incident]:
    """Record an incident report; the incident rules run on it."""
    programme = await _reported_on(report, uow, ctx)
    incident = Incident.recorded(report, uuid.uuid4(), ctx.now())
    await incidents.add(uow.session, incident)
    await _assess(
        uow,
        ctx,
        programme,
        events.incident_reported(programme, incident, ctx.links),
        incident.facts(),
    )
    return Read(incident, programme)


async def _reported_on(report: Report, uow: UnitOfWork, ctx: MonitoringContext) -> Programme:
    """The programme the report is on, once the report is valid and its author may report."""
    found = await programmes.get(uow.session, report.programme_id)
    programme = reported_on(found, report, ctx.today())
    check_reporter(report.reported_as, programme, report.author)
    return programme


async def _assess(
    uow: UnitOfWork,
    ctx: MonitoringContext,
    programme: Programme,
    announced: EventData,
    facts: Facts,
) -> None:
    """Announce the evidence recorded, then flag what every rule reading it finds."""
    await uow.emit(announced)
    await raise_flags(uow, ctx, programme, ctx.rules.findings(facts))


async def get_evaluation(evaluation_id: UUID, uow: UnitOfWork) -> Read[Evaluation]:
    found = await evaluations.get(uow.session, evaluation_id)
    return await read_one(uow.session, found, f"No evaluation {evaluation_id}.")


async def list_evaluations(query: EvidenceQuery, uow: UnitOfWork) -> Listing[Read[Evaluation]]:
    """A page of evaluations, latest completed first, each with its programme."""
    window = query.window
    page = await evaluations.page(uow.session, query.programme_id, window.offset, window.limit)
    return await read_page(uow.session, page)


async def get_incident(incident_id: UUID, uow: UnitOfWork) -> Read[Incident]:
    found = await incidents.get(uow.session, incident_id)
    return await read_one(uow.session, found, f"No incident report {incident_id}.")


async def list_incidents(query: EvidenceQuery, uow: UnitOfWork) -> Listing[Read[Incident]]:
    """A page of incident reports, latest first, each with its programme."""
    window = query.window
    page = await incidents.page(uow.session, query.programme_id, window.offset, window.limit)
    return await read_page(uow.session, page)

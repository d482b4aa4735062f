"""Evaluations and incident reports: recording them, and reading them back.

Each is announced (``evaluation-recorded``, ``incident-reported``), then every
rule that reads that kind of evidence runs on it.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from services.monitoring import events
from services.monitoring.context import MonitoringContext
from services.monitoring.domain.evidence import Evaluation, Incident, reported_on
from services.monitoring.domain.rights import Evidence, check_reporter
from services.monitoring.service_layer.commands import (
    EvidenceQuery,
    RecordEvaluation,
    ReportIncident,
)
from services.monitoring.service_layer.flags import raise_flags
from services.monitoring.service_layer.reading import Listing, Read, read, with_programmes
from services.monitoring.storage import evaluations, incidents, programmes
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork


async def record_evaluation(
    command: RecordEvaluation, uow: UnitOfWork, ctx: MonitoringContext
) -> Evaluation:
    """Record an evaluation with its ratings; the evaluation rules run on it."""
    found = await programmes.get(uow.session, command.programme_id)
    dated = ("completedOn", command.completed_on)
    programme = reported_on(found, dated, command.summary, ctx.today())
    check_reporter(Evidence.EVALUATION, programme, command.reporter)
    evaluation = Evaluation(
        evaluation_id=uuid.uuid4(),
        programme_id=command.programme_id,
        kind=command.kind,
        independent=command.independent,
        completed_on=command.completed_on,
        overall_rating=command.overall_rating,
        ratings=command.ratings,
        summary=command.summary,
        document_url=command.document_url,
        recorded_by=command.reporter,
        recorded_at=ctx.now(),
    )
    await evaluations.add(uow.session, evaluation)
    await uow.emit(events.evaluation_recorded(programme, evaluation, ctx.links))
    await raise_flags(uow, ctx, programme, ctx.rules.findings(evaluation.facts()))
    return evaluation


async def report_incident(
    command: ReportIncident, uow: UnitOfWork, ctx: MonitoringContext
) -> Incident:
    """Record an incident report; the incident rules run on it."""
    found = await programmes.get(uow.session, command.programme_id)
    dated = ("occurredOn", command.occurred_on)
    programme = reported_on(found, dated, command.summary, ctx.today())
    check_reporter(Evidence.INCIDENT, programme, command.reporter)
    incident = Incident(
        incident_id=uuid.uuid4(),
        programme_id=command.programme_id,
        category=command.category,
        severity=command.severity,
        country_code=command.country_code,
        occurred_on=command.occurred_on,
        verified=command.verified,
        reported_by=command.reporter,
        summary=command.summary,
        recorded_at=ctx.now(),
    )
    await incidents.add(uow.session, incident)
    await uow.emit(events.incident_reported(programme, incident, ctx.links))
    await raise_flags(uow, ctx, programme, ctx.rules.findings(incident.facts()))
    return incident


async def get_evaluation(evaluation_id: UUID, uow: UnitOfWork) -> Read[Evaluation]:
    evaluation = await evaluations.get(uow.session, evaluation_id)
    if evaluation is None:
        raise NotFound(f"No evaluation {evaluation_id}.")
    return await read(uow.session, evaluation, evaluation.programme_id)


async def list_evaluations(query: EvidenceQuery, uow: UnitOfWork) -> Listing[Read[Evaluation]]:
    """A page of evaluations, latest completed first, each with its programme."""
    window = query.window
    found, total = await evaluations.page(
        uow.session, programme_id=query.programme_id, offset=window.offset, limit=window.limit
    )
    return Listing(await with_programmes(uow.session, found, lambda e: e.programme_id), total)


async def get_incident(incident_id: UUID, uow: UnitOfWork) -> Read[Incident]:
    incident = await incidents.get(uow.session, incident_id)
    if incident is None:
        raise NotFound(f"No incident report {incident_id}.")
    return await read(uow.session, incident, incident.programme_id)


async def list_incidents(query: EvidenceQuery, uow: UnitOfWork) -> Listing[Read[Incident]]:
    """A page of incident reports, latest first, each with its programme."""
    window = query.window
    found, total = await incidents.page(
        uow.session, programme_id=query.programme_id, offset=window.offset, limit=window.limit
    )
    return Listing(await with_programmes(uow.session, found, lambda i: i.programme_id), total)

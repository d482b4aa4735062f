"""Recipient countries' human-rights risk, from the countries topic, and the risk rule.

The newest assessment per country is kept (an older one arriving late changes
nothing); when the residual risk becomes high or very high, or rises within
that band, every active programme with the country as a recipient is flagged.
"""

from __future__ import annotations

from services.monitoring.context import MonitoringContext
from services.monitoring.domain.rules import RiskFacts
from services.monitoring.service_layer.commands import TakeRiskAssessment
from services.monitoring.service_layer.flags import raise_flags
from services.monitoring.storage import countries, programmes
from shared.unit_of_work import UnitOfWork


async def take_risk_assessment(
    command: TakeRiskAssessment, uow: UnitOfWork, ctx: MonitoringContext
) -> None:
    risk = command.risk
    held = await countries.risk_of(uow.session, risk.country_code)
    if held is not None and not held.superseded_by(risk):
        return  # an older assessment arriving late says nothing about the risk now
    await countries.save_risk(uow.session, risk)
    previous = command.previous or (None if held is None else held.residual)
    findings = ctx.rules.findings(RiskFacts(str(risk.assessment_id), risk.residual, previous))
    if not findings:
        return
    url = command.assessment_url
    for programme in await programmes.in_country(uow.session, risk.country_code):
        if programme.active:
            await raise_flags(
                uow, ctx, programme, findings, locate=lambda _: url, event=command.event
            )

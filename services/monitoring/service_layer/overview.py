"""The overviews: a programme's progress, open flags and last evaluation; a country's flags."""

from __future__ import annotations

from dataclasses import dataclass

from services.monitoring.domain.country_risk import CountryRisk
from services.monitoring.domain.evidence import Evaluation
from services.monitoring.domain.flags import Flag
from services.monitoring.domain.programmes import Programme
from services.monitoring.domain.progress import IndicatorProgress, progress
from services.monitoring.service_layer.commands import Window
from services.monitoring.service_layer.reading import Listing
from services.monitoring.storage import countries, evaluations, flags, programmes, results
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ProgrammeOverview:
    programme: Programme
    indicators: list[IndicatorProgress]
    open_flags: list[Flag]
    last_evaluation: Evaluation | None


@dataclass(frozen=True)
class CountryOverview:
    country_code: str
    risk: CountryRisk | None
    programme_ids: list[str]
    open_flags: list[Flag]


@dataclass(frozen=True)
class MonitoredProgramme:
    """A programme monitoring knows, with the indicators of its plan."""

    programme: Programme
    indicator_ids: list[str]


async def programme_overview(programme_id: str, uow: UnitOfWork) -> ProgrammeOverview:
    """Progress against target per indicator and period, the open flags, the last evaluation."""
    programme = await programmes.get(uow.session, programme_id)
    if programme is None:
        raise NotFound(f"Monitoring knows no programme {programme_id}.")
    plan = await programmes.plan(uow.session, programme_id)
    current = await results.of_programme(uow.session, programme_id)
    return ProgrammeOverview(
        programme=programme,
        indicators=progress(plan, current),
        open_flags=await flags.open_on(uow.session, [programme_id]),
        last_evaluation=await evaluations.latest_of(uow.session, programme_id),
    )


async def country_overview(country_code: str, uow: UnitOfWork) -> CountryOverview:
    """The open flags across the programmes with the country as a recipient."""
    there = [p.programme_id for p in await programmes.in_country(uow.session, country_code)]
    return CountryOverview(
        country_code=country_code,
        risk=await countries.risk_of(uow.session, country_code),
        programme_ids=there,
        open_flags=await flags.open_on(uow.session, there),
    )


async def monitored_programmes(window: Window, uow: UnitOfWork) -> Listing[MonitoredProgramme]:
    """A page of the programmes monitoring knows, by id, each with its plan's indicators."""
    everything = await programmes.all_programmes(uow.session)
    chosen = everything[window.offset : window.offset + window.limit]
    items = [
        MonitoredProgramme(
            p, [i.indicator_id for i in await programmes.plan(uow.session, p.programme_id)]
        )
        for p in chosen
    ]
    return Listing(items, len(everything))

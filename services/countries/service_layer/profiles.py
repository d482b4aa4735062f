"""Country profiles: listing every country, reading one, changing it, its history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.countries import events
from services.countries.context import CountriesContext
from services.countries.domain.base import diff, merge
from services.countries.domain.designations import Decision
from services.countries.domain.profiles import CountryProfile, ProfileRevision, check_content
from services.countries.domain.reference import CountryReference, all_countries
from services.countries.service_layer.commands import ChangeProfile, CountryFilter, Window
from services.countries.service_layer.rights import authorise_profile_change
from services.countries.storage import designations as decisions
from services.countries.storage import locks
from services.countries.storage import profiles as store
from shared.contracts.vocabulary import Designation
from shared.errors import raise_if
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Standing:
    """A country's profile with its current designation decision (``None``: never decided)."""

    profile: CountryProfile
    decision: Decision | None


@dataclass(frozen=True)
class ListedCountry:
    """A country in the list: its reference data, profile (if recorded) and designation."""

    reference: CountryReference
    profile: CountryProfile | None
    designation: Designation


def _selected(entry: ListedCountry, wanted: CountryFilter) -> bool:
    location = entry.reference.location
    roles = entry.profile.content.migration_roles if entry.profile else ()
    names = (entry.reference.name_en.casefold(), entry.reference.name_nl.casefold())
    return (
        (
            wanted.region_code is None
            or (location is not None and wanted.region_code in location.codes)
        )
        and (wanted.migration_role is None or wanted.migration_role in roles)
        and (wanted.designation is None or wanted.designation is entry.designation)
        and (wanted.name is None or any(wanted.name.casefold() in n for n in names))
    )


async def list_countries(wanted: CountryFilter, session: AsyncSession) -> list[ListedCountry]:
    """Every ISO 3166-1 country that ``wanted`` selects, by alpha-3 code."""
    profiles = await store.load_profiles(session)
    current = await decisions.current_decisions(session)
    listed = (
        ListedCountry(
            reference,
            profiles.get(reference.code),
            current[reference.code].designation if reference.code in current else Designation.NONE,
        )
        for reference in all_countries()
    )
    return [entry for entry in listed if _selected(entry, wanted)]


async def country_standing(country_code: str, session: AsyncSession) -> Standing:
    """The country's profile (revision 0 when nothing was recorded) and designation."""
    profile = await store.load_profile(session, country_code)
    return Standing(profile, await decisions.current_decision(session, country_code))


async def change_profile(
    command: ChangeProfile, uow: UnitOfWork, ctx: CountriesContext
) -> Standing:
    """Apply a merge patch; a change is a new revision, a history entry and an event.

    A patch that changes nothing makes no revision and emits nothing. The
    country's lock (``locks.lock_country``) comes first: a concurrent patch
    waits, then applies itself to this one's revision instead of overwriting it.
    """
    authorise_profile_change(command.by)
    await locks.lock_country(uow.session, command.country_code)
    profile = await store.load_profile(uow.session, command.country_code)
    content = merge(profile.content, command.updates)
    raise_if(check_content(content))
    changes = diff(profile.content, content)
    if changes:
        profile = profile.revised(content, ctx.now(), command.by)
        await store.save_profile(uow.session, profile, changes)
        await uow.emit(events.profile_updated(profile, changes, ctx.links))
    return Standing(profile, await decisions.current_decision(uow.session, command.country_code))


async def profile_history(
    country_code: str, window: Window, session: AsyncSession
) -> tuple[list[ProfileRevision], int]:
    """One page of the profile's revisions, newest first, and how many there are."""
    return await store.profile_history(
        session, country_code, offset=window.offset, limit=window.limit
    )

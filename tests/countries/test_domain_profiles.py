"""Profiles: every ISO 3166 country with names and region; merge patches, history, figure rules."""

from __future__ import annotations

from datetime import date

import pycountry
import pytest

from services.countries.domain.base import diff, merge
from services.countries.domain.m49 import LOCATIONS, location_of
from services.countries.domain.profiles import (
    DiplomaticRelations,
    FigureUnit,
    KeyFigure,
    KeyFigureKind,
    ProfileContent,
    check_content,
)
from services.countries.domain.reference import all_countries, country
from shared.contracts.vocabulary import CountryRole


def figure(**changes: object) -> KeyFigure:
    values: dict[str, object] = {
        "kind": KeyFigureKind.RETURNS_FROM_NL,
        "value": 1200,
        "unit": FigureUnit.PERSONS,
        "period_start": date(2024, 1, 1),
        "period_end": date(2024, 12, 31),
        "source": "illustrative",
        "illustrative": True,
    }
    values.update(changes)
    return KeyFigure.model_validate(values)


def test_every_iso_3166_country_is_there() -> None:
    codes = [c.code for c in all_countries()]
    assert len(codes) == len(pycountry.countries) == len(set(codes))
    assert codes == sorted(codes)


@pytest.mark.parametrize(
    ("code", "name_en", "name_nl", "sub_region"),
    [
        ("MAR", "Morocco", "Marokko", "Northern Africa"),
        ("TUN", "Tunisia", "Tunesië", "Northern Africa"),
        ("EGY", "Egypt", "Egypte", "Northern Africa"),
        ("JOR", "Jordan", "Jordanië", "Western Asia"),
        ("TUR", "Türkiye", "Turkije", "Western Asia"),
        ("UGA", "Uganda", "Oeganda", "Sub-Saharan Africa"),
        ("LBY", "Libya", "Libië", "Northern Africa"),
    ],
)
def test_seed_countries_have_dutch_names_and_regions(
    code: str, name_en: str, name_nl: str, sub_region: str
) -> None:
    reference = country(code)
    assert reference is not None
    assert (reference.name_en, reference.name_nl) == (name_en, name_nl)
    assert reference.location is not None
    assert reference.location.sub_region.name == sub_region


def test_m49_places_every_country_but_antarctica_once() -> None:
    codes = {c.alpha_3 for c in pycountry.countries}
    assert set(LOCATIONS) == codes - {"ATA"}
    assert location_of("ATA") is None
    uganda = location_of("UGA")
    assert uganda is not None and uganda.codes == {"002", "202", "014"}


def test_unknown_codes_have_no_country() -> None:
    assert country("XXX") is None
    assert country("mar") is None


def test_a_merge_patch_replaces_clears_and_keeps() -> None:
    before = ProfileContent(
        migration_roles=(CountryRole.ORIGIN,),
        diplomatic_relations=DiplomaticRelations.EMBASSY,
        notes="Old note",
    )
    after = merge(
        before, {"migration_roles": (CountryRole.ORIGIN, CountryRole.TRANSIT), "notes": None}
    )
    assert after.migration_roles == (CountryRole.ORIGIN, CountryRole.TRANSIT)
    assert after.notes is None
    assert after.diplomatic_relations is DiplomaticRelations.EMBASSY
    changes = diff(before, after)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("migrationRoles", ["origin"], ["origin", "transit"]),
        ("notes", "Old note", None),
    ]


def test_clearing_a_list_empties_it_and_an_unchanged_value_is_no_change() -> None:
    before = ProfileContent(key_figures=(figure(),))
    assert merge(before, {"key_figures": None}).key_figures == ()
    assert diff(before, merge(before, {"key_figures": (figure(),)})) == []


def test_unknown_fields_are_not_profile_fields() -> None:
    with pytest.raises(ValueError):
        merge(ProfileContent(), {"population": 1})


def test_key_figure_rules() -> None:
    content = ProfileContent(
        key_figures=(
            figure(period_end=date(2023, 12, 31)),
            figure(kind=KeyFigureKind.OTHER),
            figure(
                kind=KeyFigureKind.ASYLUM_APPLICATIONS_IN_NL, unit=FigureUnit.PERCENT, value=120
            ),
            figure(kind=KeyFigureKind.IRREGULAR_ARRIVALS_ON_ROUTE, illustrative=False),
            figure(kind=KeyFigureKind.IRREGULAR_ARRIVALS_ON_ROUTE, value=10),
        )
    )
    assert [v.field for v in check_content(content)] == [
        "keyFigures[0].periodEnd",
        "keyFigures[1].label",
        "keyFigures[2].value",
        "keyFigures[3].illustrative",
        "keyFigures[4]",
    ]


def test_a_sourced_figure_is_fine() -> None:
    sourced = figure(
        source="CBS StatLine",
        source_url="https://opendata.cbs.nl/",
        illustrative=False,
        kind=KeyFigureKind.OTHER,
        label="Residence permits issued",
    )
    assert check_content(ProfileContent(key_figures=(figure(), sourced))) == []


def test_roles_are_given_once() -> None:
    with pytest.raises(ValueError):
        ProfileContent(migration_roles=(CountryRole.ORIGIN, CountryRole.ORIGIN))

"""Every ISO 3166-1 country, from ``pycountry``, with its Dutch name and M49 region.

All countries exist implicitly: the taskforce never "creates" a country, it
records what it knows about one. Names come from ``pycountry`` (the ISO 3166
maintenance agency's list) and its Debian iso-codes gettext translations for
Dutch; the region from :mod:`services.countries.domain.m49`.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from typing import Any

import pycountry

from services.countries.domain.m49 import Location, location_of


@dataclass(frozen=True)
class CountryReference:
    """What is known about a country without the taskforce having recorded anything."""

    code: str
    alpha_2: str
    numeric: str
    name_en: str
    name_nl: str
    official_name_en: str | None
    location: Location | None


@cache
def _dutch() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["nl"])
    except OSError:  # a pycountry build without locales: English names are better than none
        return gettext.NullTranslations()


def _reference(record: Any) -> CountryReference:
    """``record`` is a pycountry country (untyped)."""
    official = getattr(record, "official_name", None)
    return CountryReference(
        code=str(record.alpha_3),
        alpha_2=str(record.alpha_2),
        numeric=str(record.numeric),
        name_en=str(getattr(record, "common_name", None) or record.name),
        name_nl=_dutch().gettext(str(record.name)),
        official_name_en=str(official) if official else None,
        location=location_of(str(record.alpha_3)),
    )


@cache
def _all() -> dict[str, CountryReference]:
    references = (_reference(record) for record in pycountry.countries)
    return {reference.code: reference for reference in sorted(references, key=lambda r: r.code)}


def country(code: str) -> CountryReference | None:
    """The country with this upper-case alpha-3 code, or ``None`` when ISO 3166 has none."""
    return _all().get(code)


def all_countries() -> list[CountryReference]:
    """Every ISO 3166-1 country, ordered by alpha-3 code."""
    return list(_all().values())

"""What the countries service does with other services' events: nothing, so far.

The countries service reads no topic (it is the source of country facts the
others consume), so its handler table is empty; it exists so that every service
has the same shape and a consumer added later has its place.
"""

from __future__ import annotations

from typing import Any, Final

from services.countries.context import CountriesContext
from shared.handlers import On

HANDLERS: Final[tuple[On[Any, CountriesContext], ...]] = ()

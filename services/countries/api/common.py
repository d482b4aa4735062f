"""What the countries routers share: auth, the country in the path, paging, rule violations.

- Every write needs a bearer token with scope ``countries:write``; the calling
  organisation is recorded as who changed, recorded or assessed something.
- Every read needs an authenticated caller (risk assessments are sensitive,
  and one rule for all reads is easier to get right).
- A country code in a path must be an ISO 3166-1 alpha-3 code (upper case,
  else 400); a well-formed code ISO 3166 does not know is a 404.
- Domain rules that a body breaks are a 422 naming every invalid field
  (``shared.errors``, turned into problem documents by ``shared.http.errors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import Depends, Path
from pydantic import WithJsonSchema

from services.countries.context import CountriesContext
from services.countries.domain.reference import CountryReference, country
from services.countries.service_layer.commands import Window
from shared.http import AuthenticatedCaller, Caller, Problem, require_scope
from shared.http.dependencies import Runtime, context_of
from shared.http.pagination import PageParams
from shared.need_to_know import NeedToKnow, need_to_know_reader
from shared.service import ServiceRuntime

WRITE_SCOPE: Final = "countries:write"

Writer = Annotated[Caller, Depends(require_scope(WRITE_SCOPE))]
"""A caller allowed to change the countries service's data."""
Reader = AuthenticatedCaller
Context = Annotated[CountriesContext, Depends(context_of(CountriesContext))]
"""The service's context: settings, links and clock."""
Viewer = Annotated[NeedToKnow, Depends(need_to_know_reader("countries"))]
"""The authenticated caller, judged for need-to-know texts (risk assessments')."""


@dataclass(frozen=True)
class WriteRequest:
    """What a write route needs besides its body: a caller allowed to write, the service, its
    context."""

    caller: Caller
    runtime: ServiceRuntime
    ctx: CountriesContext

    @property
    def by(self) -> str:
        """The calling organisation, recorded as who made the change."""
        return self.caller.organisation


async def write_request(caller: Writer, runtime: Runtime, ctx: Context) -> WriteRequest:
    return WriteRequest(caller, runtime, ctx)


Write = Annotated[WriteRequest, Depends(write_request)]
"""A write: its caller (scope ``countries:write``), the runtime and the context."""

OptionalDate = Annotated[
    date | None, WithJsonSchema({"type": ["string", "null"], "format": "date"})
]
"""A date that may be absent; documented with ``format: date`` at the top, as the NL rules ask."""

COUNTRY_CODE_PATTERN: Final = r"^[A-Z]{3}$"

#: Documented on every write: two changes to one country raced and this one lost.
CONFLICT: Final[dict[int | str, dict[str, Any]]] = {
    409: {"description": "A concurrent change to the same country won; repeat the request."}
}


def known_country(
    country_code: Annotated[
        str,
        Path(
            alias="countryCode",
            pattern=COUNTRY_CODE_PATTERN,
            description="ISO 3166-1 alpha-3 code of the country, upper case (e.g. `MAR`).",
            examples=["MAR"],
        ),
    ],
) -> CountryReference:
    reference = country(country_code)
    if reference is None:
        raise Problem(
            status=404,
            title="Unknown country",
            detail=f"{country_code} is not an ISO 3166-1 alpha-3 country code.",
        )
    return reference


Country = Annotated[CountryReference, Depends(known_country)]
DecisionId = Annotated[UUID, Path(alias="decisionId", description="The decision's id.")]
AssessmentId = Annotated[UUID, Path(alias="assessmentId", description="The assessment's id.")]
PartnershipId = Annotated[UUID, Path(alias="partnershipId", description="The track's id.")]


def window(paging: PageParams) -> Window:
    """The slice of a list that ``paging`` asks for."""
    return Window(paging.offset, paging.page_size)

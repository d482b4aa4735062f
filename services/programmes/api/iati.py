"""IATI 2.03 activity XML: ``/programmes/{programmeId}/iati`` and ``/iati-activities``.

``/iati-activities`` is paged like every list (``page``, ``pageSize``): each page is
a complete, valid ``iati-activities`` document, and the neighbouring pages are in
the ``Link`` header (RFC 8288: ``first``, ``prev``, ``next``, ``last``) with the
total in ``X-Total-Count``, since an XML document has no ``_links`` envelope.
"""

from __future__ import annotations

import math
from typing import Any, Final

from fastapi import APIRouter, Request, Response

from services.programmes.api.common import Context
from services.programmes.api.iati_document import MEDIA_TYPE, activities_document
from services.programmes.service_layer import iati as use_cases
from services.programmes.service_layer.commands import Window
from shared.http import AuthenticatedCaller
from shared.http.dependencies import Paging, ProgrammeIdPath, Runtime
from shared.http.pagination import PageParams

router = APIRouter(tags=["IATI"])


class XmlResponse(Response):
    media_type = MEDIA_TYPE


_XML: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "An `iati-activities` document (IATI 2.03), valid against the XSD.",
        "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}


_PAGED_XML: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "One page of the registry as an `iati-activities` document (IATI 2.03), "
        "valid against the XSD; oldest programme first.",
        "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
        "headers": {
            "Link": {
                "description": "RFC 8288 links to the `first`, `prev`, `next` and `last` pages.",
                "schema": {"type": "string"},
            },
            "X-Total-Count": {
                "description": "Programmes in the whole registry.",
                "schema": {"type": "integer"},
            },
        },
    }
}


@router.get(
    "/programmes/{programmeId}/iati",
    operation_id="getProgrammeIati",
    summary="The programme as an IATI 2.03 activity",
    response_class=XmlResponse,
    responses=_XML,
)
async def get_programme_iati(
    programme_id: ProgrammeIdPath, caller: AuthenticatedCaller, runtime: Runtime, ctx: Context
) -> XmlResponse:
    async with runtime.unit_of_work() as uow:
        record = await use_cases.export_activity(programme_id, uow)
    return XmlResponse(activities_document([record], ctx.now()))


@router.get(
    "/iati-activities",
    operation_id="listIatiActivities",
    summary="The programmes as IATI 2.03 activities, a page at a time",
    response_class=XmlResponse,
    responses=_PAGED_XML,
)
async def list_iati_activities(
    request: Request,
    caller: AuthenticatedCaller,
    runtime: Runtime,
    ctx: Context,
    paging: Paging,
) -> XmlResponse:
    """Every registered programme, oldest first, `pageSize` activities per document."""
    async with runtime.unit_of_work() as uow:
        window = Window(paging.offset, paging.page_size)
        records, total = await use_cases.export_activities(window, uow)
    pages = max(1, math.ceil(total / paging.page_size))
    note = f"page {paging.page} of {pages}, {paging.page_size} per page, {total} programmes"
    return XmlResponse(
        activities_document(records, ctx.now(), note=note),
        headers={"Link": _page_links(request, paging, pages), "X-Total-Count": str(total)},
    )


def _page_links(request: Request, paging: PageParams, pages: int) -> str:
    def link(number: int, rel: str) -> str:
        url = request.url.include_query_params(page=number, pageSize=paging.page_size)
        return f'<{url}>; rel="{rel}"'

    links = [link(1, "first")]
    if paging.page > 1:
        links.append(link(min(paging.page - 1, pages), "prev"))
    if paging.page < pages:
        links.append(link(paging.page + 1, "next"))
    links.append(link(pages, "last"))
    return ", ".join(links)

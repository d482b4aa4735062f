"""Paged lists: ``page`` and ``pageSize`` in, items plus HAL ``_links`` out.

Every list endpoint takes the same two query keys (camelCase, per the NL API
Design Rules) and answers with the same envelope, so clients page through any
collection of any service the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

MAX_PAGE_SIZE = 100
#: Highest page number: far beyond any list the platform holds, yet small enough that
#: ``(page - 1) * pageSize`` is an offset every database takes (SQLite: 64-bit).
MAX_PAGE = 1_000_000


class Link(BaseModel):
    href: str = Field(description="Absolute URL of the linked page.")


class PageLinks(BaseModel):
    self: Link
    first: Link
    last: Link
    prev: Link | None = None
    next: Link | None = None


class PageParams(BaseModel):
    """Which page of a list the caller wants."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    page_size: Annotated[
        int,
        Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE, description="Items per page."),
    ] = 20,
) -> PageParams:
    """FastAPI dependency reading ``page`` and ``pageSize``.

    ``async`` so that FastAPI calls it on the event loop, not in a worker thread.
    """
    return PageParams(page=page, page_size=page_size)


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total and links to the neighbouring pages."""

    model_config = ConfigDict(populate_by_name=True)

    items: list[T]
    page: int = Field(description="This page's number, from 1.")
    page_size: int = Field(alias="pageSize", description="Items per page.")
    total_items: int = Field(alias="totalItems", description="Items in the whole list.")
    total_pages: int = Field(alias="totalPages", description="Pages in the whole list.")
    links: PageLinks = Field(alias="_links")

    @classmethod
    def of(cls, items: Sequence[T], *, total: int, params: PageParams, request: Request) -> Page[T]:
        pages = max(1, math.ceil(total / params.page_size))

        def link(number: int) -> Link:
            url = request.url.include_query_params(page=number, pageSize=params.page_size)
            return Link(href=str(url))

        return cls(
            items=list(items),
            page=params.page,
            page_size=params.page_size,
            total_items=total,
            total_pages=pages,
            links=PageLinks(
                self=link(params.page),
                first=link(1),
                last=link(pages),
                prev=link(params.page - 1) if params.page > 1 else None,
                next=link(params.page + 1) if params.page < pages else None,
            ),
        )

"""``/flags``: what the rules raised, open or resolved; ``/rules``: the rules in force."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request

from services.monitoring.api.common import NOT_FOUND, Context, Paging, ProgrammeFilter, Runtime
from services.monitoring.api.flag_models import FlagOut, FlagState, RuleList, RuleOut
from services.monitoring.domain.flags import FlagState as State
from services.monitoring.service_layer import flags
from services.monitoring.service_layer.commands import FlagQuery, Window
from shared.contracts.vocabulary import FlagCategory
from shared.http import AuthenticatedCaller
from shared.http.pagination import Page

flags_router = APIRouter(prefix="/flags", tags=["Flags"])
rules_router = APIRouter(prefix="/rules", tags=["Rules"])


@flags_router.get("", operation_id="listFlags", summary="Flags, newest first")
async def list_flags(
    request: Request,
    caller: AuthenticatedCaller,
    runtime: Runtime,
    paging: Paging,
    programme_id: ProgrammeFilter = None,
    state: Annotated[FlagState | None, Query(description="Open or resolved.")] = None,
    category: Annotated[FlagCategory | None, Query()] = None,
) -> Page[FlagOut]:
    window = Window(paging.offset, paging.page_size)
    query = FlagQuery(programme_id, None if state is None else State(state), category, window)
    async with runtime.unit_of_work() as uow:
        found = await flags.list_flags(query, uow)
    items = [FlagOut.of(f) for f in found.items]
    return Page[FlagOut].of(items, total=found.total, params=paging, request=request)


@flags_router.get("/{flagId}", operation_id="getFlag", summary="One flag", responses=NOT_FOUND)
async def get_flag(
    flag_id: Annotated[UUID, Path(alias="flagId", description="The flag.")],
    caller: AuthenticatedCaller,
    runtime: Runtime,
) -> FlagOut:
    async with runtime.unit_of_work() as uow:
        return FlagOut.of(await flags.get_flag(flag_id, uow))


@rules_router.get("", operation_id="listRules", summary="The adaptive-management rules in force")
async def list_rules(caller: AuthenticatedCaller, ctx: Context) -> RuleList:
    return RuleList(items=[RuleOut.of(r) for r in ctx.rules.all])

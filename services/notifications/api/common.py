"""What the routers share: dependencies, the ownership rule, problems."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final

from fastapi import Depends, Path, Request

from services.notifications.context import NotificationsContext
from shared.http import Caller, InvalidParam, Problem, ProblemDetails, require_scope
from shared.organisations import is_known_organisation
from shared.service import ServiceRuntime, get_runtime

WRITE_SCOPE: Final = "notifications:write"

Runtime = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_context(request: Request) -> NotificationsContext:
    context: NotificationsContext = request.app.state.notifications
    return context


Context = Annotated[NotificationsContext, Depends(get_context)]
Writer = Annotated[Caller, Depends(require_scope(WRITE_SCOPE))]
SubscriptionIdPath = Annotated[
    uuid.UUID, Path(alias="subscriptionId", description="The subscription.")
]
DeliveryIdPath = Annotated[uuid.UUID, Path(alias="deliveryId", description="The delivery.")]
EntryIdPath = Annotated[uuid.UUID, Path(alias="entryId", description="The inbox entry.")]

NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ProblemDetails, "description": "Not found (or another organisation's)."}
}
CONFLICT: Final[dict[int | str, dict[str, Any]]] = {
    409: {"model": ProblemDetails, "description": "The resource's state forbids it."},
    **NOT_FOUND,
}


def registered(caller: Caller) -> str:
    """The caller's organisation, which must be in the registry to hold subscriptions."""
    if not is_known_organisation(caller.organisation):
        raise Problem(
            status=403,
            detail=f"Organisation {caller.organisation!r} is not in the taskforce registry.",
        )
    return caller.organisation


def not_found(what: str) -> Problem:
    return Problem(status=404, detail=f"No {what} of your organisation has that id.")


def invalid(params: list[InvalidParam], detail: str = "The request has invalid values.") -> Problem:
    return Problem(
        status=422,
        title="Invalid input",
        detail=detail + " See invalidParams: " + "; ".join(f"{p.name}: {p.reason}" for p in params),
        invalid_params=params,
    )

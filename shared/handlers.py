"""A service's event handlers, listed in one table.

Each service's ``handlers.py`` defines one module-level function per event type
it consumes, typed by that event's catalogue model, and lists them::

    async def on_programme_flagged(
        data: ProgrammeFlagged, event: CloudEvent, uow: UnitOfWork, ctx: ProgrammesContext
    ) -> None: ...

    HANDLERS: Final = (On(ProgrammeFlagged, on_programme_flagged), ...)

``On`` ties the model to the function, so mypy checks that the function takes
the model it is listed for; the consumer validates ``data`` against that model
before the handler runs (``shared.consumer``). ``app.py`` hands the table and the
context to ``service_app``, which subscribes every entry once. The same table
describes the service's subscriptions in its AsyncAPI document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.consumer import EventConsumer, Handler
from shared.events.catalogue import EventData
from shared.events.envelope import CloudEvent
from shared.unit_of_work import UnitOfWork

D = TypeVar("D", bound=EventData)
C = TypeVar("C")


@dataclass(frozen=True)
class On(Generic[D, C]):
    """``handler`` handles every event of type ``model``, with the service's context ``C``."""

    model: type[D]
    handler: Callable[[D, CloudEvent, UnitOfWork, C], Awaitable[None]]

    def bound_to(self, context: C) -> Handler:
        """The handler as the consumer calls it: ``(uow, event, data)``, context supplied."""
        handler = self.handler

        async def handle(uow: UnitOfWork, event: CloudEvent, data: Any) -> None:
            await handler(data, event, uow, context)

        handle.__name__ = handler.__name__
        return handle


def subscribe_handlers(consumer: EventConsumer, table: Sequence[On[Any, C]], context: C) -> None:
    """Register every entry of ``table`` with ``consumer`` (one handler per event type)."""
    for entry in table:
        consumer.on(entry.model)(entry.bound_to(context))

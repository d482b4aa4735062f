"""Consuming other services' events: inbox, bounded retries, dead letters.

Each service is one consumer group reading the topics its handlers need. For
every record, in order:

1. parse the CloudEvents envelope and validate ``data`` against the catalogue
   model; a record that fails either is dead-lettered at once (retrying a
   malformed record cannot help);
2. run the handler and record ``(source, id)`` in the inbox in ONE database
   transaction; an event already in the inbox is skipped;
3. retry transient failures with exponential backoff, a bounded number of
   times, then dead-letter the record with the reason in its headers;
4. only then commit the offset (FastStream ``AckPolicy.MANUAL``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import metrics, telemetry
from shared.events.catalogue import CATALOGUE, EventData, dead_letter_topic_of, entry_for
from shared.events.envelope import CloudEvent, EnvelopeError, KafkaRecord
from shared.inbox import already_handled, record_handled
from shared.outbox import Outbox
from shared.settings import PlatformSettings
from shared.unit_of_work import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

D = TypeVar("D", bound=EventData)
Handler = Callable[[UnitOfWork, CloudEvent, Any], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help: the record is dead-lettered at once."""


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead-lettered"


@dataclass(frozen=True)
class ConsumedRecord:
    """A record as read from Kafka, with where it came from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    def as_kafka_record(self) -> KafkaRecord:
        return KafkaRecord(self.topic, self.key, self.value, self.headers)


class EventConsumer:
    """The handlers of one service and the machinery that runs them safely."""

    def __init__(
        self,
        service: str,
        settings: PlatformSettings,
        sessions: async_sessionmaker[AsyncSession],
        dead_letters: AIOKafkaProducer | None = None,
        *,
        outbox: Outbox | None = None,
        group_id: str | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.sessions = sessions
        self.dead_letters = dead_letters
        #: Handlers emit their own service's events through it, in the same transaction.
        self.outbox = outbox
        self.group_id = group_id or settings.consumer_group_for(service)
        self.dead_letter_topic = dead_letter_topic_of(service)
        self.handlers: dict[str, tuple[type[EventData], Handler]] = {}
        self.counts: Counter[Outcome] = Counter()

    def on(self, model: type[D]) -> Callable[[Handler], Handler]:
        """Register the handler of one event type (one handler per type)."""
        entry = entry_for(model)
        if entry.service == self.service:
            raise ValueError(f"{self.service} does not consume its own topic ({entry.type})")

        def register(handler: Handler) -> Handler:
            if entry.type in self.handlers:
                raise ValueError(f"{entry.type} already has a handler")
            self.handlers[entry.type] = (model, handler)
            return handler

        return register

    @property
    def topics(self) -> list[str]:
        return sorted({CATALOGUE[t].topic for t in self.handlers})

    def subscribe(self, broker: KafkaBroker) -> None:
        """Attach one FastStream subscriber over every topic this service reads."""
        if not self.handlers:
            return

        async def consume(body: bytes, message: KafkaMessage) -> None:
            raw = message.raw_message
            assert not isinstance(raw, tuple), "batch subscribers are not used"
            record = ConsumedRecord(
                raw.topic, raw.partition, raw.offset, raw.key, raw.value or b"", list(raw.headers)
            )
            try:
                outcome = await self.process(record)
            except Exception:
                # Not even dead-lettered (the broker may be down): rewind to this record so
                # no later offset is committed past it, and let it come again.
                log.exception(
                    "%s[%d]@%d not processed; retrying", raw.topic, raw.partition, raw.offset
                )
                await message.nack()
                await asyncio.sleep(self.settings.consumer_backoff_max_s)
                return
            log.debug("%s[%d]@%d %s", raw.topic, raw.partition, raw.offset, outcome)
            await message.ack()

        broker.subscriber(
            *self.topics,
            group_id=self.group_id,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            decoder=_raw_body,
            title=f"{self.service}.consumer",
            description="Handles " + ", ".join(sorted(self.handlers)),
        )(consume)

    async def process(self, record: ConsumedRecord) -> Outcome:
        """Handle one record to completion: handled, skipped or dead-lettered."""
        started = time.perf_counter()
        outcome = await self._process(record)
        event_type = metrics.event_type_of(record.headers)
        metrics.record_consumed(self.service, event_type, outcome, time.perf_counter() - started)
        return outcome

    async def _process(self, record: ConsumedRecord) -> Outcome:
        try:
            event = CloudEvent.from_record(record.as_kafka_record())
        except EnvelopeError as exc:
            return await self._dead_letter(record, "invalid-envelope", exc, attempts=1)
        with telemetry.consumer_span(
            record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode(errors="replace") if record.key else None,
            group=self.group_id,
            event_id=event.id,
            event_type=event.type,
            headers=record.headers,
        ):
            registered = self.handlers.get(event.type)
            if registered is None:
                self.counts[Outcome.IGNORED] += 1
                return Outcome.IGNORED
            model, handler = registered
            try:
                data = model.model_validate(event.data)
            except ValidationError as exc:
                return await self._dead_letter(record, "schema-validation", exc, attempts=1)
            return await self._handle_with_retries(record, event, data, handler)

    async def _handle_with_retries(
        self, record: ConsumedRecord, event: CloudEvent, data: EventData, handler: Handler
    ) -> Outcome:
        delay = self.settings.consumer_backoff_initial_s
        attempts = self.settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                async with unit_of_work(self.sessions, self.outbox) as uow:
                    if await already_handled(uow.session, event):
                        self.counts[Outcome.DUPLICATE] += 1
                        return Outcome.DUPLICATE
                    await handler(uow, event, data)
                    record_handled(
                        uow.session,
                        event,
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                    )
                self.counts[Outcome.HANDLED] += 1
                return Outcome.HANDLED
            except PermanentError as exc:
                return await self._dead_letter(record, "handler-rejected", exc, attempts=attempt)
            except Exception as exc:
                if isinstance(exc, IntegrityError) and await self._handled_meanwhile(event):
                    # Another member of the group committed it first: its inbox row exists.
                    self.counts[Outcome.DUPLICATE] += 1
                    return Outcome.DUPLICATE
                if attempt == attempts:
                    return await self._dead_letter(record, "handler-failed", exc, attempts=attempt)
                log.warning(
                    "handling %s %s failed (attempt %d/%d): %r",
                    event.type,
                    event.id,
                    attempt,
                    attempts,
                    exc,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.consumer_backoff_max_s)
        raise AssertionError("unreachable")

    async def _handled_meanwhile(self, event: CloudEvent) -> bool:
        async with self.sessions() as session:
            return await already_handled(session, event)

    async def _dead_letter(
        self, record: ConsumedRecord, reason: str, error: BaseException, *, attempts: int
    ) -> Outcome:
        """Park the original record, headers intact, plus why and where it came from."""
        headers = [(k, v) for k, v in record.headers if not k.startswith("dead-letter-")]
        headers += [
            ("dead-letter-reason", reason.encode()),
            ("dead-letter-error", _describe(error).encode()),
            ("dead-letter-topic", record.topic.encode()),
            ("dead-letter-partition", str(record.partition).encode()),
            ("dead-letter-offset", str(record.offset).encode()),
            ("dead-letter-attempts", str(attempts).encode()),
            ("dead-letter-group", self.group_id.encode()),
            ("dead-letter-time", datetime.now(UTC).isoformat().encode()),
        ]
        log.error(
            "dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )
        if self.dead_letters is None:
            raise RuntimeError("the consumer has no dead-letter producer yet")
        # Awaiting the send means the broker has it before the offset moves on.
        await self.dead_letters.send_and_wait(
            self.dead_letter_topic, value=record.value, key=record.key, headers=headers
        )
        self.counts[Outcome.DEAD_LETTERED] += 1
        metrics.record_dead_lettered(self.service, reason)
        return Outcome.DEAD_LETTERED


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 2000 else text[:1997] + "..."


async def _raw_body(message: Any) -> bytes:
    """Hand the handler the undecoded value: parsing is ours, so failures can be dead-lettered."""
    body: bytes = message.body
    return body

"""Consuming other services' events: inbox, bounded retries, dead letters.

Each service is one consumer group reading the topics its handlers need. Records
come in poll batches (up to ``consumer_batch_size``), and for each batch:

1. every record's CloudEvents envelope is parsed and its ``data`` validated
   against the catalogue model; a record that fails either is dead-lettered at
   once (retrying a malformed record cannot help);
2. the handlers of the valid records run one after the other in ONE database
   transaction, each event's ``(source, id)`` recorded in the inbox with its
   effect; events already in the inbox are skipped. One commit per batch
   instead of one per record is what lets a hop keep up with the broker;
3. if that transaction fails, the batch is handled again record by record, each
   in its own transaction with bounded retries and backoff, so one bad record
   is dead-lettered with the reason in its headers and the others still count;
4. only then is the offset committed, once for the batch (FastStream
   ``AckPolicy.MANUAL``). A batch that cannot be finished (not even
   dead-lettered: the broker may be down) is rewound and comes again; the
   inbox turns its already handled records into no-ops.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka import ConsumerRecord as AioConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import metrics, telemetry
from shared.events.catalogue import (
    CATALOGUE,
    CONSUMES,
    SERVICES,
    EventData,
    EventType,
    dead_letter_topic_of,
    entry_for,
)
from shared.events.envelope import CloudEvent, EnvelopeError, KafkaRecord
from shared.inbox import already_handled, handled_among, record_handled
from shared.outbox import Outbox
from shared.settings import PlatformSettings
from shared.unit_of_work import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

D = TypeVar("D", bound=EventData)
Handler = Callable[[UnitOfWork, CloudEvent, Any], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help: the record is dead-lettered at once."""


class UntrustedRecord(Exception):
    """A record that is not what its headers claim: wrong topic or source, unknown type."""


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
        #: The only ``source`` each service's events may have (NL GOV: OIN and system).
        self.trusted_sources = {name: settings.source_for(name) for name in SERVICES}
        self.counts: Counter[Outcome] = Counter()

    def on(self, model: type[D]) -> Callable[[Handler], Handler]:
        """Register the handler of one event type (one handler per type)."""
        entry = entry_for(model)
        if entry.service == self.service:
            raise ValueError(f"{self.service} does not consume its own topic ({entry.type})")
        if entry.service not in CONSUMES[self.service]:
            raise ValueError(
                f"{self.service} does not read {entry.topic} ({entry.type}): add it to "
                "CONSUMES in shared/events/catalogue.py, which its Kafka ACLs follow"
            )

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
        """Attach one FastStream batch subscriber over every topic this service reads."""
        if not self.handlers:
            return

        async def consume(body: list[bytes], message: KafkaMessage) -> None:
            raw = message.raw_message
            records = raw if isinstance(raw, tuple) else (raw,)
            batch = [
                ConsumedRecord(
                    r.topic, r.partition, r.offset, r.key, r.value or b"", list(r.headers)
                )
                for r in records
            ]
            try:
                outcomes = await self.process_batch(batch)
            except Exception:
                # Not even dead-lettered (the broker may be down): rewind to the batch's first
                # records so no later offset is committed past them, and let them come again.
                first = batch[0]
                log.exception(
                    "%d records from %s[%d]@%d not processed; retrying",
                    len(batch),
                    first.topic,
                    first.partition,
                    first.offset,
                )
                await message.nack()
                await asyncio.sleep(self.settings.consumer_backoff_max_s)
                return
            log.debug("batch of %d: %s", len(batch), Counter(outcomes))
            await message.ack()

        broker.subscriber(
            *self.topics,
            group_id=self.group_id,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            # Outbox batches are Kafka transactions: an aborted one must never be handled.
            isolation_level="read_committed",
            batch=True,
            max_records=self.settings.consumer_batch_size,
            batch_timeout_ms=self.settings.consumer_poll_timeout_ms,
            parser=_tolerant_parser,
            decoder=_raw_bodies,
            title=f"{self.service}.consumer",
            description="Handles " + ", ".join(sorted(self.handlers)),
        )(consume)

    async def process(self, record: ConsumedRecord) -> Outcome:
        """Handle one record to completion: handled, skipped or dead-lettered."""
        (outcome,) = await self.process_batch([record])
        return outcome

    async def process_batch(self, records: Sequence[ConsumedRecord]) -> list[Outcome]:
        """Handle a poll batch to completion; one outcome per record, in order."""
        outcomes: list[Outcome | None] = [None] * len(records)
        valid: list[_Valid] = []
        for index, record in enumerate(records):
            started = time.perf_counter()
            checked = await self._check(record)
            if isinstance(checked, Outcome):
                outcomes[index] = checked
                self._observe(record, checked, time.perf_counter() - started)
            else:
                valid.append(_Valid(index, record, *checked))
        # A lone record goes straight to the careful path: nothing to gain from trying twice.
        if len(valid) == 1 or (valid and not await self._handle_together(valid, outcomes)):
            for item in valid:  # one by one, so only the bad record is dead-lettered
                started = time.perf_counter()
                outcome = await self._handle_alone(item)
                outcomes[item.index] = outcome
                self._observe(item.record, outcome, time.perf_counter() - started)
        assert all(o is not None for o in outcomes)
        return [o for o in outcomes if o is not None]

    def _observe(self, record: ConsumedRecord, outcome: Outcome, seconds: float) -> None:
        event_type = metrics.event_type_of(record.headers)
        metrics.record_consumed(self.service, event_type, outcome, seconds)

    async def _check(
        self, record: ConsumedRecord
    ) -> Outcome | tuple[CloudEvent, EventData, Handler]:
        """The parsed event, its data and handler; or the outcome of a record not to handle."""
        try:
            event = CloudEvent.from_record(record.as_kafka_record())
        except EnvelopeError as exc:
            return await self._dead_letter(record, "invalid-envelope", exc, attempts=1)
        entry = CATALOGUE.get(event.type)
        if entry is None:
            # Parked, not dropped: once this consumer knows the type, it can be replayed.
            error = UntrustedRecord(f"event type {event.type!r} is not in the catalogue")
            return await self._dead_letter(record, "unknown-type", error, attempts=1)
        untrusted = self._provenance_error(record, event, entry)
        if untrusted is not None:
            return await self._dead_letter(record, "untrusted-source", untrusted, attempts=1)
        registered = self.handlers.get(event.type)
        if registered is None:
            self.counts[Outcome.IGNORED] += 1
            return Outcome.IGNORED
        model, handler = registered
        try:
            data = model.model_validate(event.data)
        except ValidationError as exc:
            with self._span(record, event):
                return await self._dead_letter(record, "schema-validation", exc, attempts=1)
        return event, data, handler

    def _provenance_error(
        self, record: ConsumedRecord, event: CloudEvent, entry: EventType
    ) -> UntrustedRecord | None:
        """Why the record cannot be from the service that owns its type, if it cannot.

        The broker's ACLs let only the owning service write its topic; this check
        is the consumer's own: a type on another service's topic, or a ``source``
        other than the owner's, is refused even if a writer got through.
        """
        if record.topic != entry.topic:
            return UntrustedRecord(f"{event.type} belongs on {entry.topic}, not {record.topic}")
        expected = self.trusted_sources[entry.service]
        if event.source != expected:
            return UntrustedRecord(
                f"source {event.source!r} is not {entry.service}'s ({expected!r})"
            )
        return None

    def _span(self, record: ConsumedRecord, event: CloudEvent) -> AbstractContextManager[Any]:
        return telemetry.consumer_span(
            record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode(errors="replace") if record.key else None,
            group=self.group_id,
            event_id=event.id,
            event_type=event.type,
            headers=record.headers,
        )

    async def _handle_together(self, batch: list[_Valid], outcomes: list[Outcome | None]) -> bool:
        """All of ``batch`` in one transaction; False (nothing kept) if any of it failed."""
        results: list[tuple[_Valid, Outcome, float]] = []
        try:
            async with unit_of_work(self.sessions, self.outbox) as uow:
                seen = await handled_among(uow.session, (item.event for item in batch))
                for item in batch:
                    started = time.perf_counter()
                    key = (item.event.source, item.event.id)
                    if key in seen:
                        results.append((item, Outcome.DUPLICATE, time.perf_counter() - started))
                        continue
                    with self._span(item.record, item.event):
                        await item.handler(uow, item.event, item.data)
                    self._record_handled(uow, item)
                    seen.add(key)
                    results.append((item, Outcome.HANDLED, time.perf_counter() - started))
        except Exception as exc:
            log.info("batch of %d failed (%r); handling its records one by one", len(batch), exc)
            return False
        for item, outcome, seconds in results:
            outcomes[item.index] = outcome
            self.counts[outcome] += 1
            self._observe(item.record, outcome, seconds)
        return True

    @staticmethod
    def _record_handled(uow: UnitOfWork, item: _Valid) -> None:
        record_handled(
            uow.session,
            item.event,
            topic=item.record.topic,
            partition=item.record.partition,
            offset=item.record.offset,
        )

    async def _handle_alone(self, item: _Valid) -> Outcome:
        with self._span(item.record, item.event):
            return await self._handle_with_retries(item)

    async def _handle_with_retries(self, item: _Valid) -> Outcome:
        record, event = item.record, item.event
        delay = self.settings.consumer_backoff_initial_s
        attempts = self.settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                async with unit_of_work(self.sessions, self.outbox) as uow:
                    if await already_handled(uow.session, event):
                        self.counts[Outcome.DUPLICATE] += 1
                        return Outcome.DUPLICATE
                    await item.handler(uow, event, item.data)
                    self._record_handled(uow, item)
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


async def _raw_bodies(message: Any) -> list[bytes]:
    """Hand the handler the undecoded values: parsing is ours, so failures can be dead-lettered."""
    return [record.value or b"" for record in message.raw_message]


async def _tolerant_parser(
    records: tuple[AioConsumerRecord[bytes, bytes], ...],
    original: Callable[[tuple[AioConsumerRecord[bytes, bytes], ...]], Awaitable[Any]],
) -> Any:
    """FastStream's batch parser, minus its one way to fail: headers that are not UTF-8.

    It decodes every header value as text; one record with a binary header would
    make the whole batch fail before our code sees it, and the batch would be
    passed over uncommitted. Here it parses copies with those values replaced, and
    hands us the original records, which then go to the dead-letter topic intact.
    """
    message = await original(tuple(_with_text_headers(r) for r in records))
    message.raw_message = records
    return message


def _with_text_headers(record: AioConsumerRecord[bytes, bytes]) -> AioConsumerRecord[bytes, bytes]:
    try:
        for _name, value in record.headers:
            value.decode()
    except UnicodeDecodeError:
        text = tuple((n, v.decode(errors="replace").encode()) for n, v in record.headers)
        return replace(record, headers=text)
    return record


@dataclass(frozen=True)
class _Valid:
    """A record whose envelope and data passed, with the handler of its type."""

    index: int
    record: ConsumedRecord
    event: CloudEvent
    data: EventData
    handler: Handler

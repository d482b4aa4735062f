"""The ways this platform produces to Kafka: idempotent, ``acks=all``; the outbox transactionally.

``make_producer`` is the idempotent producer of every client that writes
records one by one (dead letters, tests). ``outbox_producers`` makes the outbox
relay's transactional producer, one transactional id per service outbox, and
tells what the last transaction under that id became (``shared.outbox_relay``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.client import AIOKafkaClient, CoordinationType
from aiokafka.errors import (
    CoordinatorNotAvailableError,
    KafkaConnectionError,
    NoError,
    NotCoordinatorError,
    for_code,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactString,
    Int16,
    Int32,
    Int64,
    Schema,
    TaggedFields,
)

from shared.kafka.security import Credentials, aiokafka_options
from shared.settings import PlatformSettings


def make_producer(
    settings: PlatformSettings, client_id: str, credentials: Credentials
) -> AIOKafkaProducer:
    """An idempotent producer: ``acks=all``, ordered per partition, no duplicates on retry.

    ``enable_idempotence`` keeps per-partition order even with several requests in
    flight, which the outbox relay relies on for per-key order.
    """
    return AIOKafkaProducer(
        **aiokafka_options(settings, credentials),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=30_000,
        retry_backoff_ms=200,
    )


class TransactionState(StrEnum):
    """The transaction coordinator's state of a transactional id's latest transaction."""

    EMPTY = "Empty"
    ONGOING = "Ongoing"
    PREPARE_COMMIT = "PrepareCommit"
    PREPARE_ABORT = "PrepareAbort"
    COMPLETE_COMMIT = "CompleteCommit"
    COMPLETE_ABORT = "CompleteAbort"
    PREPARE_EPOCH_FENCE = "PrepareEpochFence"
    DEAD = "Dead"
    #: No transaction was ever begun under this id (or it expired).
    UNKNOWN = "Unknown"

    @property
    def committed(self) -> bool:
        """Committed, or decided to be: nothing can abort it any more."""
        return self in (TransactionState.PREPARE_COMMIT, TransactionState.COMPLETE_COMMIT)


@dataclass(frozen=True)
class TransactionalProducers:
    """The outbox's transactional producers of one service, and what its last transaction did.

    Every producer made here has the same ``transactional_id``: starting one
    fences the previous holder's (its later sends and commits fail with
    ``ProducerFenced``) and resolves the transaction it left open, committed if
    it had asked to commit, aborted otherwise.
    """

    options: Mapping[str, Any]
    transactional_id: str
    client_id: str
    transaction_timeout_ms: int = 60_000

    def new(self) -> AIOKafkaProducer:
        """A producer not yet started: ``start`` takes over the transactional id."""
        return AIOKafkaProducer(
            **self.options,
            client_id=self.client_id,
            transactional_id=self.transactional_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            request_timeout_ms=30_000,
            retry_backoff_ms=200,
            transaction_timeout_ms=self.transaction_timeout_ms,
        )

    async def last_transaction(self, attempts: int = 60) -> TransactionState:
        """The coordinator's state of the latest transaction (DescribeTransactions, KIP-664).

        Asked *before* a new producer takes the id over: its start resets the state.
        Needs only DESCRIBE on the transactional id, which WRITE implies. Retried
        while the coordinator is not there yet (the transaction log is created on
        first use).
        """
        client = AIOKafkaClient(**self.options, client_id=f"{self.client_id}-recovery")
        await client.bootstrap()
        try:
            for attempt in range(1, attempts + 1):
                try:
                    node = await client.coordinator_lookup(
                        CoordinationType.TRANSACTION, self.transactional_id
                    )
                    response = await client.send(
                        node, DescribeTransactionsRequest([self.transactional_id])
                    )
                    break
                except (CoordinatorNotAvailableError, NotCoordinatorError, KafkaConnectionError):
                    if attempt == attempts:
                        raise
                    await asyncio.sleep(0.5)
        finally:
            await client.close()
        [(error_code, _id, state, *_rest)] = response.transaction_states
        if error_code == TRANSACTIONAL_ID_NOT_FOUND:
            return TransactionState.UNKNOWN
        error = for_code(error_code)
        if error is not NoError:
            raise error(self.transactional_id)
        return TransactionState(state)


def outbox_producers(
    settings: PlatformSettings,
    service: str,
    credentials: Credentials,
    transactional_id: str | None = None,
) -> TransactionalProducers:
    """The transactional producers of ``service``'s outbox: id ``<principal>.outbox``.

    The id starts with the service's principal, so two stacks on one broker never
    share one and the ACL (``shared.kafka.acls``) can name it.
    """
    return TransactionalProducers(
        options=aiokafka_options(settings, credentials),
        transactional_id=transactional_id or outbox_transactional_id(settings, service),
        client_id=f"taskforce-{service}-outbox",
    )


def outbox_transactional_id(settings: PlatformSettings, service: str) -> str:
    return f"{settings.principal_of(service)}.outbox"


#: The DescribeTransactions error for an id the coordinator does not know.
TRANSACTIONAL_ID_NOT_FOUND = 105


class DescribeTransactionsResponse_v0(Response):  # type: ignore[misc]
    API_KEY = 65
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "transaction_states",
            CompactArray(
                ("error_code", Int16),
                ("transactional_id", CompactString("utf-8")),
                ("transaction_state", CompactString("utf-8")),
                ("transaction_timeout_ms", Int32),
                ("transaction_start_time_ms", Int64),
                ("producer_id", Int64),
                ("producer_epoch", Int16),
                (
                    "topics",
                    CompactArray(
                        ("topic", CompactString("utf-8")),
                        ("partitions", CompactArray(Int32)),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeTransactionsRequest_v0(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 65
    API_VERSION = 0
    RESPONSE_TYPE = DescribeTransactionsResponse_v0
    SCHEMA = Schema(
        ("transactional_ids", CompactArray(CompactString("utf-8"))),
        ("tags", TaggedFields),
    )


class DescribeTransactionsRequest(Request[DescribeTransactionsRequest_v0]):  # type: ignore[misc]
    """aiokafka has no DescribeTransactions; this is its version 0, as Kafka defines it."""

    API_KEY = 65

    def __init__(self, transactional_ids: list[str]) -> None:
        self._ids = transactional_ids

    def build(
        self, request_struct_class: type[DescribeTransactionsRequest_v0]
    ) -> DescribeTransactionsRequest_v0:
        return request_struct_class(self._ids, {})

"""The one way this platform produces to Kafka: idempotent, ``acks=all``."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

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

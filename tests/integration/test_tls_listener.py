"""SASL_SSL, for deployments off one machine: a broker of its own with TLS on the client listener.

The broker generates its local CA and certificate on first start; the
platform's clients trust that CA (``TASKFORCE_KAFKA_SSL_CAFILE`` defaults to
it) and check the host name. The test starts that broker on spare ports beside
the suite's, provisions it the way ``make up`` does and stops it again.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from shared.events.catalogue import topic_of
from shared.kafka.provisioning import provision
from shared.kafka.security import aiokafka_options, credentials_for
from shared.kafka_local import LocalKafka
from shared.settings import PlatformSettings
from tests.conftest import suite_broker
from tests.support import TEST_VAR

pytestmark = pytest.mark.kafka

PROGRAMMES = "taskforce.programmes"
MONITORING = "taskforce.monitoring"


@pytest.fixture(scope="module")
def tls_settings(kafka_bootstrap: str) -> Iterator[PlatformSettings]:
    """A SASL_SSL broker, provisioned; ``kafka_bootstrap`` only orders it after the jars."""
    port = int(os.environ.get("TASKFORCE_TEST_KAFKA_PORT", "19092")) + 300
    home = TEST_VAR / "kafka-tls"
    secrets = home / "secrets"
    broker = LocalKafka(
        home=home,
        broker_port=port,
        controller_port=port + 1,
        libs_dir=suite_broker().libs,
        security_protocol="SASL_SSL",
        secrets_dir=secrets,
    )
    broker.start()
    try:
        settings = PlatformSettings(
            kafka_bootstrap_servers=f"localhost:{port}",
            kafka_security_protocol="SASL_SSL",
            kafka_secrets_dir=secrets,
        )
        asyncio.run(provision(settings))
        yield settings
    finally:
        broker.stop()


def test_the_local_ca_is_made_once_with_its_keys_owner_only(tls_settings: PlatformSettings) -> None:
    secrets: Path = tls_settings.kafka_secrets
    assert tls_settings.kafka_cafile == secrets / "ca.crt"
    assert "BEGIN CERTIFICATE" in tls_settings.kafka_cafile.read_text()
    for private in ("ca.key", "broker.pem"):
        assert (secrets / private).stat().st_mode & 0o077 == 0, private
    assert "PRIVATE KEY" not in tls_settings.kafka_cafile.read_text()


async def test_a_service_produces_and_consumes_over_tls(tls_settings: PlatformSettings) -> None:
    topic = topic_of("monitoring")
    key = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(
        **aiokafka_options(tls_settings, credentials_for(tls_settings, MONITORING))
    )
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b"{}", key=key)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        **aiokafka_options(tls_settings, credentials_for(tls_settings, PROGRAMMES)),
        group_id=f"{PROGRAMMES}.test-tls",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        partition = TopicPartition(topic, sent.partition)
        consumer.assign([partition])
        consumer.seek(partition, sent.offset)
        batch = await consumer.getmany(partition, timeout_ms=10_000)
    finally:
        await consumer.stop()
    assert [r.key for r in batch[partition]][:1] == [key]


async def test_without_tls_or_without_the_ca_the_broker_is_not_reached(
    tls_settings: PlatformSettings,
) -> None:
    credentials = credentials_for(tls_settings, MONITORING)
    plaintext = {
        **aiokafka_options(tls_settings, credentials),
        "security_protocol": "SASL_PLAINTEXT",
        "ssl_context": None,
    }
    untrusted = {
        **aiokafka_options(tls_settings, credentials),
        "ssl_context": ssl.create_default_context(),  # the system's CAs, not the local one
    }
    for options in (plaintext, untrusted):
        producer = AIOKafkaProducer(**options, request_timeout_ms=5000)
        with pytest.raises((KafkaError, ssl.SSLError, OSError)):
            await producer.start()
        await producer.stop()
    # The right options still work, so the refusals above are the broker's, not a dead port.
    producer = AIOKafkaProducer(**aiokafka_options(tls_settings, credentials))
    await producer.start()
    await producer.stop()

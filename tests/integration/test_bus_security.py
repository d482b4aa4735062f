"""What the broker itself refuses: every connection authenticated, every action under an ACL.

The session provisions the default stack (principals, topics, ACLs from the
catalogue and the entitlements file) on the secured test broker; each test here
connects as one principal and tries what it must not be able to do, beside the
same action on what it may do, so a refusal cannot pass for a broken broker.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition, errors
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from aiokafka.protocol.fetch import FetchRequest
from pydantic import SecretStr

from shared.events.catalogue import dead_letter_topic_of, stream_topic_of, topic_of
from shared.kafka.security import Credentials, aiokafka_options, load_credentials
from shared.settings import PlatformSettings
from tests.support import TEST_SECRETS, kafka_options

pytestmark = pytest.mark.kafka

PROGRAMMES = "taskforce.programmes"
MONITORING = "taskforce.monitoring"
AM = "taskforce.org.am"
SECRETARIAT = "taskforce.org.tf-secretariaat"


async def _produce(bootstrap: str, principal: str, topic: str) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap, principal), request_timeout_ms=10_000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", key=b"security-test")
    finally:
        await producer.stop()


async def _read(bootstrap: str, principal: str, topic: str) -> None:
    """One Fetch request for partition 0, sent straight to the broker.

    Raises the broker's error for the partition (``TopicAuthorizationFailedError``
    when the principal may not read). The consumer API is no use here: on a
    refused topic it logs the refusal and waits for metadata that never comes.
    """
    options = kafka_options(bootstrap, principal)
    client = AIOKafkaClient(**options, request_timeout_ms=10_000)
    await client.bootstrap()
    try:
        node = next(iter(client.cluster.brokers())).nodeId
        request = FetchRequest(100, 0, 1_048_576, 0, [(topic, [(0, 0, 1_048_576)])])
        response = await client.send(node, request)
        [(_, [(_, error_code, *_)])] = response.topics
        error = errors.for_code(error_code)
        if error is not errors.NoError:
            raise error(topic)
    finally:
        await client.close()


async def _join(bootstrap: str, principal: str, group: str, topic: str) -> None:
    """Commit an offset in ``group``: raises if the principal may not use the group."""
    consumer = AIOKafkaConsumer(
        **kafka_options(bootstrap, principal), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.commit({partition: 0})
    finally:
        await consumer.stop()


async def test_a_client_without_credentials_can_neither_list_nor_produce_nor_consume(
    kafka_bootstrap: str,
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await admin.start()
        await admin.list_topics()
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()
    consumer = AIOKafkaConsumer(topic_of("monitoring"), bootstrap_servers=kafka_bootstrap)
    with pytest.raises(KafkaError):
        await consumer.start()
    await consumer.stop()


async def test_a_wrong_password_or_an_unknown_user_is_refused(kafka_bootstrap: str) -> None:
    settings = PlatformSettings(kafka_bootstrap_servers=kafka_bootstrap)
    for credentials in (
        Credentials(PROGRAMMES, SecretStr("not-the-password")),
        Credentials("taskforce.nobody", load_credentials(TEST_SECRETS, PROGRAMMES).password),
    ):
        producer = AIOKafkaProducer(**aiokafka_options(settings, credentials))
        with pytest.raises(KafkaError):
            await producer.start()
        await producer.stop()


async def test_a_service_writes_only_its_own_topic_and_dead_letters(kafka_bootstrap: str) -> None:
    await _produce(kafka_bootstrap, PROGRAMMES, topic_of("programmes"))
    await _produce(kafka_bootstrap, PROGRAMMES, dead_letter_topic_of("programmes"))
    for topic in (
        topic_of("monitoring"),
        dead_letter_topic_of("monitoring"),
        stream_topic_of("am"),
    ):
        with pytest.raises(TopicAuthorizationFailedError):
            await _produce(kafka_bootstrap, PROGRAMMES, topic)


async def test_a_service_reads_only_what_its_handlers_consume(kafka_bootstrap: str) -> None:
    await _read(kafka_bootstrap, PROGRAMMES, topic_of("monitoring"))
    for topic in (topic_of("notifications"), topic_of("programmes"), stream_topic_of("am")):
        with pytest.raises(TopicAuthorizationFailedError):
            await _read(kafka_bootstrap, PROGRAMMES, topic)


async def test_a_service_uses_only_its_own_consumer_groups(kafka_bootstrap: str) -> None:
    topic = topic_of("monitoring")
    await _join(kafka_bootstrap, PROGRAMMES, f"{PROGRAMMES}.test-{uuid.uuid4().hex[:8]}", topic)
    for group in (MONITORING, f"{MONITORING}.test", "taskforce.notifications", "anything"):
        with pytest.raises(GroupAuthorizationFailedError):
            await _join(kafka_bootstrap, PROGRAMMES, group, topic)


async def test_an_organisation_reads_its_own_stream_and_nothing_else(kafka_bootstrap: str) -> None:
    await _read(kafka_bootstrap, AM, stream_topic_of("am"))
    await _join(kafka_bootstrap, AM, f"{AM}.alerts", stream_topic_of("am"))
    refused = [stream_topic_of("bz"), stream_topic_of("kmar")]
    refused += [topic_of(s) for s in ("countries", "programmes", "monitoring", "notifications")]
    refused += [dead_letter_topic_of("programmes")]
    for topic in refused:
        with pytest.raises(TopicAuthorizationFailedError):
            await _read(kafka_bootstrap, AM, topic)
        with pytest.raises(TopicAuthorizationFailedError):
            await _produce(kafka_bootstrap, AM, topic)
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(kafka_bootstrap, AM, stream_topic_of("am"))  # it reads, never writes
    for group in ("taskforce.org.bz.alerts", PROGRAMMES, AM):
        with pytest.raises(GroupAuthorizationFailedError):
            await _join(kafka_bootstrap, AM, group, stream_topic_of("am"))


async def test_the_secretariat_reads_the_domain_topics_it_is_entitled_to(
    kafka_bootstrap: str,
) -> None:
    for service in ("countries", "programmes", "monitoring"):
        await _read(kafka_bootstrap, SECRETARIAT, topic_of(service))
    await _read(kafka_bootstrap, SECRETARIAT, stream_topic_of("tf-secretariaat"))
    for topic in (topic_of("notifications"), stream_topic_of("am")):
        with pytest.raises(TopicAuthorizationFailedError):
            await _read(kafka_bootstrap, SECRETARIAT, topic)


async def test_the_controller_listener_takes_no_client(kafka_bootstrap: str) -> None:
    host, port = kafka_bootstrap.rsplit(":", 1)
    controller = f"{host}:{int(port) + 1}"
    admin = AIOKafkaAdminClient(**kafka_options(controller), request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await admin.start()
        await admin.list_topics()
    await admin.close()


def test_passwords_are_owner_only_and_in_no_process_command_line() -> None:
    files = sorted(TEST_SECRETS.glob("*.password"))
    assert files, f"no passwords under {TEST_SECRETS}"
    assert TEST_SECRETS.stat().st_mode & 0o077 == 0
    passwords = set()
    for path in files:
        assert path.stat().st_mode & 0o077 == 0, path
        passwords.add(path.read_text().strip())
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue  # the process ended meanwhile
        leaked = [p for p in passwords if p in line]
        assert not leaked, f"a password on the command line of {cmdline.parent.name}"

"""The one way this platform consumes from Kafka: a FastStream broker as a principal."""

from __future__ import annotations

import logging
from typing import Any

from faststream.kafka import KafkaBroker

from shared.kafka.security import Credentials, faststream_security
from shared.settings import PlatformSettings


def make_broker(
    settings: PlatformSettings, credentials: Credentials, **options: Any
) -> KafkaBroker:
    """A FastStream broker that authenticates as ``credentials`` and never creates topics.

    FastStream would otherwise try to create each subscribed topic through the
    admin API: topics come from the catalogue (``taskforce kafka provision``),
    and no service principal is allowed to create one.
    """
    options.setdefault("graceful_timeout", 30.0)
    options.setdefault("log_level", logging.DEBUG)  # a line per record is for debugging
    # FastStream takes one string as one address: a cluster's list goes in as a list.
    addresses = [a.strip() for a in settings.kafka_bootstrap_servers.split(",") if a.strip()]
    return KafkaBroker(
        addresses,
        security=faststream_security(settings, credentials),
        allow_auto_create_topics=False,
        **options,
    )

"""Configuration through environment variables, with defaults that run on a laptop.

Every service reads the same ``PlatformSettings``; the service name picks its port,
its SQLite file and its topic. Nothing secret has a default in code: the local
JWT signing key is generated into ``var/secrets`` on first use.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]

SERVICE_PORTS: dict[str, int] = {
    "countries": 8001,
    "programmes": 8002,
    "monitoring": 8003,
    "notifications": 8004,
}

#: Placeholder 20-digit OIN for local runs; a deployment sets TASKFORCE_OIN.
LOCAL_OIN = "00000000000000000000"

#: HS256 keys shorter than the hash's output (RFC 7518 section 3.2) can be guessed offline.
MIN_SIGNING_KEY_BYTES = 32


def default_var_dir() -> Path:
    return Path(os.environ.get("TASKFORCE_VAR_DIR", PROJECT_ROOT / "var"))


class PlatformSettings(BaseSettings):
    """Settings shared by every service process and the ``taskforce`` command."""

    # hide_input_in_errors: a refused value may be a secret (TASKFORCE_JWT_SECRET); the
    # message names the variable and the rule, never the value.
    model_config = SettingsConfigDict(
        env_prefix="TASKFORCE_", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    var_dir: Path = Field(default_factory=default_var_dir)
    oin: str = Field(default=LOCAL_OIN, pattern=r"^\d{20}$")
    public_base_url: str = "http://127.0.0.1"
    host: str = "127.0.0.1"
    #: Largest request body any API reads (``TASKFORCE_HTTP_MAX_BODY_BYTES``); larger ones
    #: are refused with 413 before authentication, auditing or parsing.
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: How long a POST's ``Idempotency-Key`` and its answer are kept
    #: (``TASKFORCE_IDEMPOTENCY_KEY_RETENTION_HOURS``): a retry within it gets the first
    #: answer; after it the key is purged and may be used again.
    idempotency_key_retention_hours: int = Field(default=24, ge=1)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "KAFKA_BOOTSTRAP_SERVERS", "TASKFORCE_KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    #: One URL for every service: ``{service}`` in it is replaced by the service's name
    #: (``postgresql+asyncpg://taskforce@127.0.0.1:5432/taskforce_{service}``).
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TASKFORCE_DATABASE_URL")
    )
    #: Which replica of its service this process is (``TASKFORCE_REPLICA``, set by
    #: ``taskforce up --replicas``): named in logs, metrics and Kafka client ids so that
    #: replicas can be told apart. Default: host and process id.
    replica_id: str = Field(
        default_factory=lambda: _host_and_process(),
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        validation_alias=AliasChoices("TASKFORCE_REPLICA", "TASKFORCE_REPLICA_ID"),
    )

    # Kafka security: every connection authenticates with SASL/SCRAM-SHA-512; SASL_SSL
    # adds TLS for brokers off this machine. Passwords never come from here: see
    # shared.kafka.security (TASKFORCE_KAFKA_PASSWORD_<PRINCIPAL> or a file per principal).
    kafka_security_protocol: Literal["SASL_PLAINTEXT", "SASL_SSL"] = "SASL_PLAINTEXT"
    #: Where each principal's password file lives; default ``<var_dir>/secrets/kafka``.
    kafka_secrets_dir: Path | None = None
    #: The CA that signed the broker's certificate (SASL_SSL); default ``<secrets>/ca.crt``.
    kafka_ssl_cafile: Path | None = None
    #: Names this stack on the broker: its principals (``<prefix>.<service>``,
    #: ``<prefix>.org.<code>``, ``<prefix>.ops``) and their consumer groups, which start
    #: with the principal's name. A second stack on the same broker takes its own prefix.
    kafka_prefix: str = Field(
        default="taskforce",
        pattern=r"^[a-z0-9][a-z0-9-]{0,39}$",
        validation_alias=AliasChoices("TASKFORCE_KAFKA_PREFIX", "TASKFORCE_CONSUMER_GROUP_PREFIX"),
    )
    #: Which organisation may read which domain topic directly (reviewed configuration).
    kafka_entitlements_file: Path = PROJECT_ROOT / "shared" / "kafka" / "entitlements.toml"

    # Topic provisioning: a single local broker by default, RF 3 / ISR 2 on a cluster
    # (``taskforce kafka start --brokers 3``) and in production.
    topic_partitions: int = 3
    topic_replication_factor: int = Field(
        default=1,
        ge=1,
        validation_alias=AliasChoices(
            "TASKFORCE_TOPIC_REPLICATION_FACTOR", "TOPIC_REPLICATION_FACTOR"
        ),
    )
    #: Replicas that must have a record before ``acks=all`` acknowledges it.
    topic_min_insync_replicas: int = Field(
        default=1,
        ge=1,
        validation_alias=AliasChoices(
            "TASKFORCE_TOPIC_MIN_INSYNC_REPLICAS", "TOPIC_MIN_INSYNC_REPLICAS"
        ),
    )
    dead_letter_retention_ms: int = 30 * 24 * 3600 * 1000

    # Consumers: bounded retries for transient failures, then the dead-letter topic.
    consumer_max_attempts: int = 5
    consumer_backoff_initial_s: float = 0.2
    consumer_backoff_max_s: float = 5.0
    #: Records handled in one transaction and committed with one offset commit.
    consumer_batch_size: int = Field(default=100, ge=1, le=10_000)
    #: How long a poll waits for records before trying again; bounds the latency it adds.
    consumer_poll_timeout_ms: int = Field(default=20, ge=1, le=1000)

    # Outbox relay: woken on commit, polling as a safety net.
    outbox_poll_interval_s: float = 1.0
    outbox_batch_size: int = 500
    #: The outbox lease (one publishing replica per service): how long it lasts unrenewed,
    #: so how soon a replica that died is replaced, and how often its holder renews it.
    outbox_lease_ttl_s: float = Field(default=5.0, gt=0)
    outbox_lease_renew_s: float = Field(default=1.0, gt=0)

    # Bearer tokens: HS256 with a local key by default; an OIDC issuer via JWKS.
    jwt_secret: str | None = Field(default=None, repr=False)
    jwt_issuer: str = "urn:nld:taskforce-migratie:local"
    jwt_audience: str = "taskforce-platform"
    jwt_jwks_url: str | None = None
    jwt_algorithms: list[str] = ["HS256"]
    #: Longest lifetime (exp - iat) a token may have, issued here or by the OIDC issuer: a
    #: stolen token is worth at most this long, revocation aside.
    jwt_max_lifetime_minutes: int = Field(default=12 * 60, ge=1)
    #: The revoked token ids (jti), one a line; default ``<var_dir>/secrets/revoked-tokens``.
    #: Every service of the stack reads the same file and sees additions without a restart.
    jwt_revocation_file: Path | None = None

    #: Proxies whose ``X-Forwarded-For`` the audit trail believes (addresses or CIDR
    #: ranges); from anyone else the header is ignored and the peer address recorded.
    audit_trusted_proxies: list[str] = []

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, secret: str | None) -> str | None:
        """Refuse to start with a guessable key rather than sign tokens anyone can forge."""
        if secret is not None and len(secret.encode()) < MIN_SIGNING_KEY_BYTES:
            raise ValueError(
                f"TASKFORCE_JWT_SECRET is {len(secret.encode())} bytes; a signing secret needs "
                f"at least {MIN_SIGNING_KEY_BYTES} (generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return secret

    @field_validator("topic_min_insync_replicas")
    @classmethod
    def _attainable(cls, min_insync: int, info: ValidationInfo) -> int:
        """More in-sync replicas than replicas would refuse every acknowledged write."""
        replicas = info.data.get("topic_replication_factor")
        if replicas is not None and min_insync > replicas:
            raise ValueError(
                f"TASKFORCE_TOPIC_MIN_INSYNC_REPLICAS ({min_insync}) exceeds "
                f"TASKFORCE_TOPIC_REPLICATION_FACTOR ({replicas}): no write could be acknowledged"
            )
        return min_insync

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url.replace("{service}", service)
        path = self.var_dir / "db" / f"{service}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"

    def source_for(self, service: str) -> str:
        """The CloudEvents ``source`` of a service (NL GOV profile)."""
        return f"urn:nld:oin:{self.oin}:systeem:{service}"

    def port_for(self, service: str) -> int:
        override = os.environ.get(f"TASKFORCE_{service.upper()}_PORT")
        return int(override) if override else SERVICE_PORTS[service]

    def consumer_group_for(self, service: str) -> str:
        """The consumer group of a service's event consumer: its principal's name."""
        return self.principal_of(service)

    def principal_of(self, service: str) -> str:
        """The Kafka principal (SCRAM user name) a service connects as."""
        return f"{self.kafka_prefix}.{service}"

    @property
    def kafka_secrets(self) -> Path:
        return self.kafka_secrets_dir or self.var_dir / "secrets" / "kafka"

    @property
    def kafka_cafile(self) -> Path:
        return self.kafka_ssl_cafile or self.kafka_secrets / "ca.crt"

    @property
    def revocation_file(self) -> Path:
        return self.jwt_revocation_file or self.var_dir / "secrets" / "revoked-tokens"

    @cached_property
    def signing_key(self) -> str:
        """The HS256 key: from the environment, else a random local one kept in ``var/secrets``."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.var_dir / "secrets" / "jwt-signing.key"
        key = path.read_text().strip() if path.exists() else _create_key_once(path)
        if len(key.encode()) < MIN_SIGNING_KEY_BYTES:
            raise ValueError(
                f"{path} holds a key of {len(key.encode())} bytes; at least "
                f"{MIN_SIGNING_KEY_BYTES} are needed (delete the file to have one generated)"
            )
        return key


def _host_and_process() -> str:
    """A replica name for a process nobody numbered: its host (letters kept) and pid."""
    host = "".join(c if c.isalnum() or c in "._-" else "-" for c in socket.gethostname())
    return f"{host.lstrip('._-')[:40] or 'host'}-{os.getpid()}"


def _create_key_once(path: Path) -> str:
    """Generate the local key, or read the one another process generated at the same moment.

    The key is written in full to a private temporary file, then hard-linked into place:
    the link either succeeds (ours is the key) or fails because someone else's is there
    already (theirs is). Nobody ever reads a half-written key, and all processes that start
    together end up with the same one.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process's key won: use it
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text().strip()

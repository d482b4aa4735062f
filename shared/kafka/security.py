"""Credentials of Kafka principals and the client options that use them.

A principal's password is found, in this order:

1. the environment variable ``TASKFORCE_KAFKA_PASSWORD_<NAME>`` (the name
   upper-cased, every other character than A-Z and 0-9 as ``_``): how containers
   get theirs;
2. the file ``<secrets dir>/<name>.password`` (owner-only), which provisioning
   creates with a random password when neither exists: how a local stack keeps them.

Passwords are held as ``SecretStr`` so that no repr, log line or span shows one,
and they are handed to clients only as keyword arguments, never on a command line.
"""

from __future__ import annotations

import os
import re
import secrets
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faststream.security import SASLScram512
from pydantic import SecretStr

from shared.settings import PlatformSettings

MECHANISM = "SCRAM-SHA-512"
#: PBKDF2 rounds of the stored SCRAM credential (Kafka accepts 4096 to 16384).
SCRAM_ITERATIONS = 8192


class CredentialsMissing(RuntimeError):
    """A principal has no password here yet; the message says how to get one."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: SecretStr


def password_variable(name: str) -> str:
    """The environment variable that may hold the password of principal ``name``."""
    return "TASKFORCE_KAFKA_PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def password_file(secrets_dir: Path, name: str) -> Path:
    return secrets_dir / f"{name}.password"


def load_credentials(secrets_dir: Path, name: str) -> Credentials:
    """The credentials of ``name`` from the environment or its file; never created here."""
    from_env = os.environ.get(password_variable(name))
    if from_env:
        return Credentials(name, SecretStr(from_env))
    path = password_file(secrets_dir, name)
    try:
        return Credentials(name, SecretStr(path.read_text().strip()))
    except FileNotFoundError:
        raise CredentialsMissing(
            f"no Kafka password for {name!r}: set {password_variable(name)} or run "
            f"'taskforce kafka provision' (it writes {path})"
        ) from None


def ensure_credentials(secrets_dir: Path, name: str) -> tuple[Credentials, bool]:
    """The credentials of ``name``, creating a random password file if there is none.

    Returns whether a new password was made (so provisioning knows to set it on the broker).
    """
    try:
        return load_credentials(secrets_dir, name), False
    except CredentialsMissing:
        pass
    write_secret(password_file(secrets_dir, name), secrets.token_urlsafe(32))
    return load_credentials(secrets_dir, name), True


def write_secret(path: Path, text: str) -> None:
    """Write a secret owner-only: the file never exists with wider permissions."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text + "\n")
    temporary.replace(path)


def credentials_for(settings: PlatformSettings, name: str) -> Credentials:
    return load_credentials(settings.kafka_secrets, name)


def ssl_context(settings: PlatformSettings) -> ssl.SSLContext | None:
    """For SASL_SSL: trust the configured CA (the local one by default), check the host."""
    if settings.kafka_security_protocol != "SASL_SSL":
        return None
    cafile = settings.kafka_cafile
    if not cafile.exists():
        raise CredentialsMissing(
            f"SASL_SSL needs the broker's CA certificate at {cafile} "
            "(set TASKFORCE_KAFKA_SSL_CAFILE); the local broker writes it on first start"
        )
    return ssl.create_default_context(cafile=str(cafile))


def aiokafka_options(settings: PlatformSettings, credentials: Credentials) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": MECHANISM,
        "sasl_plain_username": credentials.username,
        "sasl_plain_password": credentials.password.get_secret_value(),
        "ssl_context": ssl_context(settings),
    }


def faststream_security(settings: PlatformSettings, credentials: Credentials) -> SASLScram512:
    """The same, as FastStream's ``KafkaBroker(security=...)`` takes it."""
    context = ssl_context(settings)
    return SASLScram512(
        username=credentials.username,
        password=credentials.password.get_secret_value(),
        ssl_context=context,
        use_ssl=context is not None,
    )


def confluent_options(settings: PlatformSettings, credentials: Credentials) -> dict[str, str]:
    """librdkafka configuration for the admin client (``confluent_kafka``)."""
    options = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "security.protocol": settings.kafka_security_protocol,
        "sasl.mechanism": MECHANISM,
        "sasl.username": credentials.username,
        "sasl.password": credentials.password.get_secret_value(),
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        options["ssl.ca.location"] = str(settings.kafka_cafile)
    return options

"""Signing secrets at rest: sealed with Fernet (AES-128-CBC + HMAC-SHA256) before they are stored.

A copy of the database (a backup, a stolen disk, a debugging dump) must not let
anyone sign webhooks as the platform, so ``subscription.secret`` and
``previous_secret`` hold Fernet tokens, never ``whsec_`` text. The worker opens
them to sign; nothing else does.

The key is ``TASKFORCE_NOTIFICATIONS_SECRETS_KEY`` when set, else the service's
own key file ``<var>/secrets/notifications-secrets.key``: created once,
owner-only (0600), written in full to a private temporary file and hard-linked
into place, so two processes starting together end up with the same key and
nobody reads half a key. A token that does not open with the key is an error
(``SecretsKeyError``), loudly: signing with anything else would only make every
receiver reject the webhooks, silently.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = Path("secrets") / "notifications-secrets.key"
KEY_ENV = "TASKFORCE_NOTIFICATIONS_SECRETS_KEY"


class SecretsKeyError(RuntimeError):
    """A stored secret does not open with this key (wrong key, or not sealed at all)."""


@dataclass(frozen=True)
class SecretBox:
    fernet: Fernet

    @classmethod
    def of_key(cls, key: str) -> SecretBox:
        try:
            return cls(Fernet(key.encode()))
        except ValueError as exc:
            raise SecretsKeyError(
                f"the secrets key is not a Fernet key (urlsafe base64 of 32 bytes): {exc}"
            ) from None

    def seal(self, secret: str) -> str:
        return self.fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self.fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretsKeyError(
                "a stored webhook secret does not open with the secrets key: the key "
                f"({KEY_ENV} or {KEY_FILE}) is not the one it was sealed with"
            ) from None


def key_for(var_dir: Path, configured: str | None = None) -> str:
    """The configured key, else the one in the var directory (made there if there is none)."""
    if configured:
        return configured
    path = var_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    return _create_key_once(path)


def box_for(var_dir: Path, configured: str | None = None) -> SecretBox:
    return SecretBox.of_key(key_for(var_dir, configured))


def _create_key_once(path: Path) -> str:
    """Write a new key, or read the one another process wrote at the same moment."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(Fernet.generate_key().decode("ascii"))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text().strip()

"""Signing secrets at rest: sealed, opened only with the right key, the key file made once."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.notifications.domain.signing import new_secret
from services.notifications.storage.secret_box import (
    KEY_FILE,
    SecretBox,
    SecretsKeyError,
    box_for,
    key_for,
)


def test_a_sealed_secret_is_not_the_secret_and_opens_again() -> None:
    box = SecretBox.of_key(Fernet.generate_key().decode())
    secret = new_secret()
    sealed = box.seal(secret)
    assert secret not in sealed and secret.removeprefix("whsec_") not in sealed
    assert box.open(sealed) == secret


def test_a_wrong_key_fails_loudly() -> None:
    sealed = SecretBox.of_key(Fernet.generate_key().decode()).seal(new_secret())
    other = SecretBox.of_key(Fernet.generate_key().decode())
    with pytest.raises(SecretsKeyError, match="not the one it was sealed with"):
        other.open(sealed)
    with pytest.raises(SecretsKeyError):
        other.open(new_secret())  # plain text is not a sealed secret either
    with pytest.raises(SecretsKeyError, match="not a Fernet key"):
        SecretBox.of_key("too-short")


def test_the_key_file_is_owner_only_and_kept(tmp_path: Path) -> None:
    first = key_for(tmp_path)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_for(tmp_path) == first
    sealed = box_for(tmp_path).seal("whsec_x")
    assert box_for(tmp_path).open(sealed) == "whsec_x"
    configured = Fernet.generate_key().decode()
    assert key_for(tmp_path, configured) == configured


def _key_in(var_dir: str, out: multiprocessing.Queue[str]) -> None:
    out.put(key_for(Path(var_dir)))


def test_processes_starting_together_end_up_with_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    out: multiprocessing.Queue[str] = context.Queue()
    workers = [context.Process(target=_key_in, args=(str(tmp_path), out)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    keys = {out.get(timeout=5) for _ in workers}
    assert keys == {(tmp_path / KEY_FILE).read_text().strip()}
    assert [p.name for p in (tmp_path / KEY_FILE).parent.iterdir()] == [KEY_FILE.name]

"""The signing secret: at least 32 bytes or no start; the local key made once, atomically."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.http import create_api
from shared.settings import PROJECT_ROOT, PlatformSettings


def test_a_short_configured_secret_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", "x")
    with pytest.raises(ValidationError) as refused:
        PlatformSettings(var_dir=tmp_path)
    assert "at least 32" in str(refused.value)
    assert "'x'" not in str(refused.value)  # the message does not repeat the secret
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", "y" * 31)
    with pytest.raises(ValidationError):
        PlatformSettings(var_dir=tmp_path)
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", "y" * 32)
    assert PlatformSettings(var_dir=tmp_path).signing_key == "y" * 32


def test_a_service_process_with_a_short_secret_exits(tmp_path: Path) -> None:
    env = {"TASKFORCE_VAR_DIR": str(tmp_path), "TASKFORCE_JWT_SECRET": "short", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", "from services.countries.app import create_app; create_app()"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "at least 32" in done.stderr
    assert "short" not in done.stderr.replace("shorter", "")


def test_the_generated_key_is_private_and_long_enough(tmp_path: Path) -> None:
    key = PlatformSettings(var_dir=tmp_path).signing_key
    path = tmp_path / "secrets" / "jwt-signing.key"
    assert len(key.encode()) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == key
    assert [p.name for p in path.parent.iterdir()] == ["jwt-signing.key"]  # no temporaries left


def test_a_short_key_file_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "jwt-signing.key"
    path.parent.mkdir(parents=True)
    path.write_text("abc")
    settings = PlatformSettings(var_dir=tmp_path)
    with pytest.raises(ValueError, match="at least 32"):
        create_api(
            service="countries", title="t", description="d", version="1.0.0", settings=settings
        )


def test_threads_creating_the_key_at_once_all_get_the_same(tmp_path: Path) -> None:
    keys: list[str] = []
    start = threading.Barrier(16)

    def read_key() -> None:
        start.wait()
        keys.append(PlatformSettings(var_dir=tmp_path).signing_key)

    threads = [threading.Thread(target=read_key) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 16
    assert len(set(keys)) == 1
    assert (tmp_path / "secrets" / "jwt-signing.key").read_text() == keys[0]


def test_processes_starting_together_all_get_the_same_key(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from shared.settings import PlatformSettings\n"
        "settings = PlatformSettings(var_dir=sys.argv[1])\n"
        "while time.time() < float(sys.argv[2]): pass\n"
        "print(settings.signing_key)\n"
    )
    import time

    at = str(time.time() + 3)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), at],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert all(process.returncode == 0 for process in processes)
    assert len(keys) == 1
    assert keys == {(tmp_path / "secrets" / "jwt-signing.key").read_text()}

"""A demo loader that fails is reported with its reason; the others still run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shared.cli import app
from shared.cli.stack import load_demo
from shared.settings import PlatformSettings
from tests.webhook_receiver import free_port

PROBLEM = {"type": "about:blank", "title": "Unprocessable", "status": 422, "detail": "refused"}


class Refusing(BaseHTTPRequestHandler):
    """A service that refuses everything with a 422 problem."""

    def _refuse(self) -> None:
        body = json.dumps(PROBLEM).encode()
        self.send_response(422)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def refusing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_each_failing_loader_is_reported_and_the_rest_still_run(
    refusing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    settings = PlatformSettings(var_dir=tmp_path, jwt_secret="x" * 64)
    closed = f"http://127.0.0.1:{free_port()}"
    urls = {"notifications": refusing, "countries": refusing, "programmes": closed}
    report = await load_demo(settings, urls)
    assert report.created == {}
    assert set(report.failed) == {"notifications", "countries", "programmes"}
    assert "422" in report.failed["countries"] and "refused" in report.failed["countries"]
    assert report.failed["programmes"].startswith("ConnectError")


def test_demo_load_says_which_loader_failed_and_exits_1(
    refusing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", "x" * 64)
    port = int(refusing.rsplit(":", 1)[1])
    for service in ("COUNTRIES", "PROGRAMMES", "MONITORING", "NOTIFICATIONS"):
        monkeypatch.setenv(f"TASKFORCE_{service}_PORT", str(port))
    result = CliRunner().invoke(app, ["demo", "load"])
    assert result.exit_code == 1
    assert "Demo data of countries not loaded" in result.output
    assert "422" in result.output

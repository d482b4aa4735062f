"""Each service's AsyncAPI document passes Spectral's AsyncAPI rules.

Spectral validates against the AsyncAPI 3.0 JSON Schema of ``@asyncapi/specs``,
the schema the official AsyncAPI parser validates with, and adds the
recommended rules (descriptions, headers of type object, unused components).
The documents are built for everything each service's principal may read, so
every consumed type of the catalogue is in one of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.asyncapi import asyncapi_document
from shared.events.catalogue import CATALOGUE, CONSUMES, SERVICES
from shared.settings import PlatformSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
RULESET = Path(__file__).with_name("asyncapi-ruleset.yaml")
SPECTRAL = REPO_ROOT / "node_modules" / ".bin" / "spectral"


@pytest.fixture(scope="module")
def spectral() -> Path:
    """The locally pinned Spectral CLI; installed from package-lock.json when missing."""
    if not SPECTRAL.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install the Spectral CLI (see package.json)"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=REPO_ROOT,
            check=True,
            timeout=600,
        )
    assert SPECTRAL.exists(), "npm ci did not install node_modules/.bin/spectral"
    return SPECTRAL


def readable_types(service: str) -> list[str]:
    """Every catalogued type on the topics the service may read."""
    return [entry.type for entry in CATALOGUE.values() if entry.service in CONSUMES[service]]


def assert_passes(spectral: Path, document: dict[str, object], path: Path) -> None:
    path.write_text(json.dumps(document, indent=2))
    result = subprocess.run(
        [str(spectral), "lint", "-r", str(RULESET), str(path), "--fail-severity=warn"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, f"spectral found problems:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("service", SERVICES)
def test_asyncapi_passes_the_asyncapi_rules(service: str, spectral: Path, tmp_path: Path) -> None:
    document = asyncapi_document(service, readable_types(service))
    assert_passes(spectral, document, tmp_path / f"{service}-asyncapi.json")


def test_asyncapi_of_a_tls_cluster_passes_the_asyncapi_rules(
    spectral: Path, tmp_path: Path
) -> None:
    """Several bootstrap servers over SASL_SSL: one ``kafka-secure`` server each."""
    settings = PlatformSettings(
        kafka_bootstrap_servers="kafka-1.example.org:9093,kafka-2.example.org:9093",
        kafka_security_protocol="SASL_SSL",
    )
    document = asyncapi_document("monitoring", readable_types("monitoring"), settings)
    servers = document["servers"]
    assert [server["host"] for server in servers.values()] == [
        "kafka-1.example.org:9093",
        "kafka-2.example.org:9093",
    ]
    assert {server["protocol"] for server in servers.values()} == {"kafka-secure"}
    for channel in document["channels"].values():
        assert channel["servers"] == [{"$ref": f"#/servers/{name}"} for name in servers]
    assert_passes(spectral, document, tmp_path / "monitoring-asyncapi.json")

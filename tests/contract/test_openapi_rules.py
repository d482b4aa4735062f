"""The OpenAPI documents pass the official NL API Design Rules linter (Spectral).

Each service's document is built by ``create_api``; here with a sample router shaped
like the services' own (a list with camelCase query keys, a generic page model, a
resource by id, a bearer-protected POST with a body), so that the conventions the
skeleton adds are checked against the ruleset itself, not against our reading of it.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from shared.http import Caller, Problem, UtcDateTime, create_api, require_scope
from shared.settings import SERVICE_PORTS, PlatformSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
RULESET = REPO_ROOT.parent / "shared" / "reference" / "nl-api-design-rules" / "linter.yaml"
SPECTRAL = REPO_ROOT / "node_modules" / ".bin" / "spectral"
SERVICES = sorted(SERVICE_PORTS)

T = TypeVar("T")


class Sample(BaseModel):
    name: str = Field(description="What the sample is called.")
    countryCode: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166 alpha-3.")
    startDate: date
    registeredAt: UtcDateTime


class NewSample(BaseModel):
    name: str
    countryCode: str = Field(pattern=r"^[A-Z]{3}$")
    startDate: date
    tags: list[str] = []


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


def sample_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/{service}-samples", tags=[f"{service.capitalize()} samples"])

    @router.get("", summary="List samples")
    async def list_samples(
        country_code: Annotated[str | None, Query(alias="countryCode")] = None,
        page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 20,
    ) -> Page[Sample]:
        return Page[Sample](items=[], total=0)

    @router.get("/{sample_id}", summary="One sample")
    async def get_sample(sample_id: str) -> Sample:
        raise Problem(status=404, detail=f"No sample {sample_id}.")

    @router.post("", status_code=201, summary="Register a sample")
    async def create_sample(
        sample: NewSample,
        # A default, not Annotated: string annotations cannot see the local ``service``.
        caller: Caller = Depends(require_scope(f"{service}:write")),
    ) -> Sample:
        raise Problem(status=409, detail="Samples are read-only.")

    return router


def sample_app(service: str, settings: PlatformSettings) -> FastAPI:
    return create_api(
        service=service,
        title=f"Taskforce {service} API",
        description=f"Sample of the {service} service's API, for the OpenAPI contract test.",
        version="1.0.0",
        settings=settings,
        routers=[sample_router(service)],
    )


def openapi_file(
    service: str, settings: PlatformSettings, directory: Path, app: FastAPI | None = None
) -> Path:
    app = app or sample_app(service, settings)
    document = TestClient(app).get("/v1/openapi.json").json()
    path = directory / f"{service}-openapi.json"
    path.write_text(json.dumps(document, indent=2))
    return path


@pytest.fixture(scope="session")
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


def lint(spectral: Path, document: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(spectral), "lint", "-r", str(RULESET), str(document), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_passes_the_nl_ruleset(service: str, spectral: Path, tmp_path: Path) -> None:
    """A deployment's document (HTTPS public base URL): no errors and no warnings."""
    settings = PlatformSettings(
        var_dir=tmp_path, jwt_secret="x" * 48, public_base_url="https://api.example.org"
    )
    document = openapi_file(service, settings, tmp_path)
    result = lint(spectral, document, "--fail-severity=warn")
    assert result.returncode == 0, f"spectral found problems:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_running_service_document_passes_the_nl_ruleset(
    service: str, spectral: Path, tmp_path: Path
) -> None:
    """The document the service process itself serves (its real routers), not a sample."""
    settings = PlatformSettings(
        var_dir=tmp_path, jwt_secret="x" * 48, public_base_url="https://api.example.org"
    )
    module = importlib.import_module(f"services.{service}.app")
    document = openapi_file(service, settings, tmp_path, app=module.create_app(settings))
    result = lint(spectral, document, "--fail-severity=warn")
    assert result.returncode == 0, f"spectral found problems:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("service", SERVICES)
def test_laptop_document_only_lacks_https(service: str, spectral: Path, tmp_path: Path) -> None:
    """With the local default (http://127.0.0.1) the only finding is the HTTPS warning."""
    settings = PlatformSettings(var_dir=tmp_path, jwt_secret="x" * 48)
    assert settings.public_base_url.startswith("http://")
    document = openapi_file(service, settings, tmp_path)
    result = lint(spectral, document, "--fail-severity=error", "--format=json", "--quiet")
    assert result.returncode == 0, f"spectral found errors:\n{result.stdout}\n{result.stderr}"
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    assert {f["code"] for f in findings} <= {"nlgov:servers-use-https"}, result.stdout


def test_sample_document_covers_what_the_rules_check(tmp_path: Path) -> None:
    """Guard against a sample so small that passing the linter says nothing."""
    settings = PlatformSettings(var_dir=tmp_path, jwt_secret="x" * 48)
    document = json.loads(openapi_file("programmes", settings, tmp_path).read_text())
    listing = document["paths"]["/programmes-samples"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"countryCode", "pageSize"}
    assert document["paths"]["/programmes-samples"]["post"]["security"] == [{"bearerAuth": []}]
    assert "/programmes-samples/{sample_id}" in document["paths"]
    assert "PageSample" in document["components"]["schemas"]  # renamed from Page_Sample_

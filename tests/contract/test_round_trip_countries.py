"""Countries: designations, partnership tracks (open, change, move on) and risk assessments.

Each generated write is valid under the write model and the domain's rules, is
sent by an organisation the rules let write it (``services/countries/domain/
rights.py``), and must be accepted and read back with the same values.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import strategies as st

from services.countries.api.designation_models import NewDecision
from services.countries.api.partnership_models import NewStatusChange
from services.countries.api.risk_models import NewAssessment
from services.countries.domain.designations import CriterionScore
from services.countries.domain.partnerships import (
    TRANSITIONS,
    DevelopmentTheme,
    NegativeMeasure,
    PartnershipContent,
    RelationLever,
    check_content,
)
from services.countries.domain.risk import RiskItem
from shared.contracts.vocabulary import (
    AssessmentOutcome,
    AssessmentPhase,
    Designation,
    DesignationCriterion,
    Instrument,
    PartnershipKind,
    PartnershipStatus,
    RiskCategory,
    Theme,
)
from shared.organisations import ORGANISATIONS
from tests.contract.round_trip_support import (
    FEW,
    about_no_one,
    assert_sent,
    edge_text_of,
    examples,
    path_of,
    round_trip,
    text_of,
)
from tests.countries.conftest import _started
from tests.countries.support import Countries
from tests.databases import TestDatabases

#: A country per generated decision or assessment: each is then the first of its scope, so
#: the rule that decisions and assessments are recorded in date order never applies.
CODES = [
    "MAR",
    "TUN",
    "EGY",
    "SEN",
    "NGA",
    "IRQ",
    "JOR",
    "LBN",
    "ETH",
    "GMB",
    "DZA",
    "LBY",
    "TUR",
    "UGA",
    "SDN",
    "ERI",
    "SOM",
    "AFG",
    "PAK",
    "SYR",
    "MLI",
    "NER",
    "GHA",
    "CIV",
    "GIN",
]
TODAY = datetime.now(UTC).date()
ORGANISATION = st.sampled_from(sorted(ORGANISATIONS))
SECRETARIAT = "tf-secretariaat"


@pytest.fixture(scope="module")
async def countries(
    tmp_path_factory: pytest.TempPathFactory, database: TestDatabases
) -> AsyncIterator[Countries]:
    async for service in _started(tmp_path_factory.mktemp("round-trip-countries"), None, database):
        yield service


def past(days: int = 3650) -> st.SearchStrategy[date]:
    return st.integers(1, days).map(lambda n: TODAY - timedelta(days=n))


def subset(values: Any, *, min_size: int = 0) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from([v.value for v in values]), unique=True, min_size=min_size)


# --- designations -----------------------------------------------------------------


@st.composite
def decisions(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A decision and the organisation that records it: am or bz, or the secretariat for one."""
    criteria = draw(st.permutations(list(DesignationCriterion)))
    designation = draw(st.sampled_from(list(Designation)))
    decided_on = draw(past())
    review = decided_on + timedelta(days=draw(st.integers(1, 2000)))
    caller = draw(st.sampled_from(["am", "bz", SECRETARIAT]))
    body: dict[str, Any] = {
        "designation": designation.value,
        "decidedOn": decided_on.isoformat(),
        "scores": [
            {
                "criterion": c.value,
                "score": draw(st.integers(0, 5)),
                "rationale": draw(edge_text_of(CriterionScore, "rationale")),
            }
            for c in criteria
        ],
        # Focus and watch need a review date after the decision; none may have one.
        "reviewDate": review.isoformat()
        if designation is not Designation.NONE or draw(st.booleans())
        else None,
        "summary": draw(st.none() | text_of(NewDecision, "summary", longest=600)),
    }
    if caller == SECRETARIAT:
        body["decidedBy"] = draw(st.sampled_from(["am", "bz"]))
    return caller, body


async def test_designation_decisions_read_back(countries: Countries) -> None:
    for code, (caller, body) in zip(CODES, examples(decisions(), FEW), strict=False):
        path = f"/v1/countries/{code}/designations"
        written = await countries.client.post(path, json=body, headers=countries.auth(caller))
        assert written.status_code == 201, (body, written.text[:500])
        read = await countries.client.get(
            path_of(written.headers["Location"]), headers=countries.auth(caller)
        )
        assert read.status_code == 200, read.text[:500]
        assert read.json() == written.json()
        assert_sent(body, read.json())
        assert read.json()["recordedBy"] == caller
        assert read.json()["decidedBy"] == body.get("decidedBy", caller)


# --- partnership tracks -----------------------------------------------------------


@st.composite
def contents(draw: st.DrawFn, *, lead: str | None = None) -> dict[str, Any]:
    """A track's content that the domain's rules across fields accept (``check_content``)."""
    lead = lead or draw(ORGANISATION)
    levers = draw(subset(RelationLever))
    return {
        "title": draw(edge_text_of(PartnershipContent, "title")),
        "kind": draw(st.sampled_from([k.value for k in PartnershipKind])),
        "themes": draw(subset(Theme, min_size=1)),
        "instruments": draw(subset(Instrument)),
        "leadOrganisation": lead,
        "participatingOrganisations": draw(
            st.lists(st.sampled_from(sorted(set(ORGANISATIONS) - {lead})), unique=True)
        ),
        "levers": levers,
        # Development themes are in play only with the lever development-cooperation.
        "developmentThemes": draw(subset(DevelopmentTheme))
        if RelationLever.DEVELOPMENT_COOPERATION.value in levers
        else [],
        "negativeMeasuresConsidered": draw(subset(NegativeMeasure)),
        "description": draw(st.none() | text_of(PartnershipContent, "description", longest=600)),
    }


@st.composite
def openings(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A track to open, and who opens it: its lead, or the secretariat."""
    body = {
        **draw(contents()),
        "status": draw(st.sampled_from(["exploring", "active"])),
        "statusSince": draw(past()).isoformat(),
    }
    return draw(st.sampled_from([body["leadOrganisation"], SECRETARIAT])), body


async def _open(countries: Countries, code: str, caller: str, body: dict[str, Any]) -> str:
    written = await countries.client.post(
        f"/v1/countries/{code}/partnerships", json=body, headers=countries.auth(caller)
    )
    assert written.status_code == 201, (body, written.text[:500])
    return path_of(written.headers["Location"])


async def test_partnership_tracks_read_back(countries: Countries) -> None:
    for index, (caller, body) in enumerate(examples(openings(), FEW)):
        code = CODES[index % len(CODES)]
        location = await _open(countries, code, caller, body)
        read = await countries.client.get(location, headers=countries.auth(caller))
        assert read.status_code == 200, read.text[:500]
        assert_sent(body, read.json())
        assert (read.json()["createdBy"], read.json()["countryCode"]) == (caller, code)


@st.composite
def patches(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """An opened track and a merge patch of some of its fields, optional ones perhaps cleared.

    The merged content must still meet ``check_content`` (a patch naming the lead as
    participating is refused by that rule), so patches that break it are not drawn.
    """
    opened = {**draw(contents()), "status": "exploring", "statusSince": TODAY.isoformat()}
    other = draw(contents())
    names = draw(st.lists(st.sampled_from(sorted(other)), unique=True, min_size=1))
    patch: dict[str, Any] = {name: other[name] for name in names}
    for name in ("description", "instruments", "levers", "negativeMeasuresConsidered"):
        if name in patch and draw(st.integers(0, 4)) == 0:
            patch[name] = None
    merged = PartnershipContent.model_validate(_expected(opened, patch))
    draw(st.just(None).filter(lambda _: not check_content(merged)))
    return opened, patch


def _expected(opened: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The track after the merge patch: ``null`` resets an optional field to its default."""
    defaults: dict[str, Any] = {"description": None}
    merged = dict(opened)
    for name, value in patch.items():
        merged[name] = value if value is not None else defaults.get(name, [])
    merged.pop("status")
    merged.pop("statusSince")
    return merged


async def test_partnership_changes_read_back(countries: Countries) -> None:
    for index, (opened, patch) in enumerate(examples(patches(), FEW)):
        code = CODES[index % len(CODES)]
        lead = opened["leadOrganisation"]
        location = await _open(countries, code, lead, opened)
        # The current lead changes its track (the secretariat could too).
        written = await countries.client.patch(location, json=patch, headers=countries.auth(lead))
        assert written.status_code == 200, (opened, patch, written.text[:500])
        read = await countries.client.get(location, headers=countries.auth(lead))
        assert read.status_code == 200, read.text[:500]
        assert read.json() == written.json()
        assert_sent(_expected(opened, patch), read.json())
        content = {k: v for k, v in opened.items() if k not in ("status", "statusSince")}
        changed = _canonical(content) != _canonical(_expected(opened, patch))
        assert read.json()["revision"] == 1 + changed


def _canonical(content: dict[str, Any]) -> dict[str, Any]:
    return PartnershipContent.model_validate(content).model_dump(mode="json")


@st.composite
def walks(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Status changes along the transitions, each dated on or after the one before."""
    status, since = PartnershipStatus.EXPLORING, TODAY - timedelta(days=draw(st.integers(0, 900)))
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        if not TRANSITIONS[status]:
            break
        status = draw(st.sampled_from(sorted(TRANSITIONS[status])))
        since += timedelta(days=draw(st.integers(0, 300)))
        steps.append(
            {
                "status": status.value,
                "effectiveFrom": since.isoformat(),
                "reason": draw(st.none() | text_of(NewStatusChange, "reason", longest=400)),
            }
        )
    return steps


async def test_partnership_status_changes_read_back(countries: Countries) -> None:
    tracks = examples(st.tuples(contents(lead="bz"), walks()), FEW)
    for index, (content, steps) in enumerate(tracks):
        code = CODES[index % len(CODES)]
        since = (TODAY - timedelta(days=1000)).isoformat()
        opening = {**content, "status": "exploring", "statusSince": since}
        location = await _open(countries, code, "bz", opening)
        changes = await round_trip(
            countries.client,
            [("POST", f"{location}/status-changes", step) for step in steps],
            countries.auth("bz"),
            lambda path, _: path,
            # The answer is the track moved on; the step reads back last in its history.
            lambda sent, written, read: assert_sent(sent, read[-1]),
        )
        assert changes == len(steps)
        track = (await countries.client.get(location, headers=countries.auth("bz"))).json()
        assert (track["status"], track["statusSince"]) == (
            steps[-1]["status"],
            steps[-1]["effectiveFrom"],
        )


# --- risk assessments -------------------------------------------------------------


@st.composite
def risk_items(draw: st.DrawFn) -> dict[str, Any]:
    """A risk item; mitigation cannot raise a risk, and a lowered one names its mitigation."""
    likelihood, impact = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    residual = draw(st.integers(1, likelihood)), draw(st.integers(1, impact))
    named = about_no_one(text_of(RiskItem, "mitigation", longest=300))
    lowered = residual[0] * residual[1] < likelihood * impact
    mitigation = named.filter(str.strip) if lowered else st.none() | named
    return {
        "category": draw(st.sampled_from([c.value for c in RiskCategory])),
        "description": draw(
            st.none() | about_no_one(text_of(RiskItem, "description", longest=300))
        ),
        "likelihood": likelihood,
        "impact": impact,
        "mitigation": draw(mitigation),
        "residualLikelihood": residual[0],
        "residualImpact": residual[1],
    }


@st.composite
def assessments(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A country-wide assessment: concluded in the past at any offset, reviewed after."""
    offset = timezone(timedelta(minutes=draw(st.integers(-12 * 60, 14 * 60))))
    assessed = datetime.now(UTC) - timedelta(seconds=draw(st.integers(60, 10**8)))
    assessed = assessed.replace(microsecond=draw(st.integers(0, 999_999))).astimezone(offset)
    caller = draw(st.sampled_from(["am", "bz", SECRETARIAT]))
    body: dict[str, Any] = {
        "phase": draw(st.sampled_from([p.value for p in AssessmentPhase])),
        "items": draw(st.lists(risk_items(), min_size=1, max_size=4)),
        "outcome": draw(st.sampled_from([o.value for o in AssessmentOutcome])),
        "assessedAt": assessed.isoformat(),
        "nextReviewDate": (assessed.date() + timedelta(days=draw(st.integers(1, 800)))).isoformat(),
        "summary": draw(st.none() | about_no_one(text_of(NewAssessment, "summary", longest=600))),
    }
    if caller == SECRETARIAT:
        body["assessedBy"] = draw(st.sampled_from(["am", "bz"]))
    return caller, body


async def test_risk_assessments_read_back(countries: Countries) -> None:
    for code, (caller, body) in zip(CODES, examples(assessments(), FEW), strict=False):
        headers = countries.auth(caller)
        written = await countries.client.post(
            f"/v1/countries/{code}/risk-assessments", json=body, headers=headers
        )
        assert written.status_code == 201, (body, written.text[:500])
        read = await countries.client.get(path_of(written.headers["Location"]), headers=headers)
        assert read.status_code == 200, read.text[:500]
        assert read.json() == written.json()
        assert_sent(body, read.json(), instants={"assessedAt"})
        assert read.json()["assessedBy"] == body.get("assessedBy", caller)

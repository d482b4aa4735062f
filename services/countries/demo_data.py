"""Demo content for ``make up``: the countries the letter of 23 May 2025 names.

Morocco (return cooperation), Turkey and Tunisia (border management), North
Africa (anti-smuggling, the COMPASS programme), the EU partnerships with
Egypt, Tunisia and Jordan, Uganda (a transit-hub concept), and the North
African transit countries Libya and Algeria.

What comes from the letter: which countries, which kinds of cooperation, the
EU partnerships, COMPASS and the Uganda transit hub. The dates of the EU
partnerships are those of their public signature. Everything else (key
figures, criteria scores, risk items, review dates) is **illustrative**: made
up to show how the service works, marked ``illustrative`` where the model has
a place for it, and not a statement of the taskforce's views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

LETTER: Final = "Letter to parliament on the taskforce on international migration, 23 May 2025"


def figure(
    kind: str, value: float, unit: str, year: int, label: str | None = None
) -> dict[str, Any]:
    """An illustrative key figure for a calendar year."""
    body: dict[str, Any] = {
        "kind": kind,
        "value": value,
        "unit": unit,
        "periodStart": f"{year}-01-01",
        "periodEnd": f"{year}-12-31",
        "source": "illustrative",
        "illustrative": True,
    }
    if label is not None:
        body["label"] = label
    return body


def scores(transit: int, origin: int, bilateral: int, added: int) -> list[dict[str, Any]]:
    """Illustrative criteria scores with a short rationale each."""
    return [
        {
            "criterion": "transit-country",
            "score": transit,
            "rationale": f"Illustrative: transit country towards EU/NL ({transit}/5).",
        },
        {
            "criterion": "country-of-origin",
            "score": origin,
            "rationale": f"Illustrative: country of origin for returns from NL ({origin}/5).",
        },
        {
            "criterion": "bilateral-scope",
            "score": bilateral,
            "rationale": f"Illustrative: diplomatic relations and leverage ({bilateral}/5).",
        },
        {
            "criterion": "added-value-over-eu",
            "score": added,
            "rationale": f"Illustrative: Dutch added value over an EU-wide approach ({added}/5).",
        },
    ]


def risk(
    category: str,
    before: tuple[int, int],
    after: tuple[int, int],
    description: str,
    mitigation: str,
) -> dict[str, Any]:
    return {
        "category": category,
        "description": description,
        "likelihood": before[0],
        "impact": before[1],
        "mitigation": mitigation,
        "residualLikelihood": after[0],
        "residualImpact": after[1],
    }


@dataclass(frozen=True)
class Track:
    """A partnership track to open, and the status changes that follow (status, date)."""

    body: dict[str, Any]
    then: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DemoCountry:
    code: str
    profile: dict[str, Any]
    decisions: tuple[dict[str, Any], ...]
    tracks: tuple[Track, ...]
    #: The assessment; ``assessed_track`` names the track it covers by title (None: the country).
    assessment: dict[str, Any]
    assessed_track: str | None = None


def decision(
    designation: str, decided_on: str, review_date: str, given: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "designation": designation,
        "decidedOn": decided_on,
        "decidedBy": "am",
        "scores": given,
        "reviewDate": review_date,
        "summary": f"Illustrative decision following the {LETTER}.",
    }


def assessment(
    phase: str, assessed_at: str, next_review: str, outcome: str, *items: dict[str, Any]
) -> dict[str, Any]:
    return {
        "phase": phase,
        "items": list(items),
        "outcome": outcome,
        "assessedAt": assessed_at,
        "assessedBy": "bz",
        "nextReviewDate": next_review,
        "summary": "Illustrative do-no-harm assessment for the demo.",
    }


def track(
    title: str,
    kind: str,
    lead: str,
    participants: list[str],
    themes: list[str],
    instruments: list[str],
    status: str,
    since: str,
    **more: Any,
) -> dict[str, Any]:
    return {
        "title": title,
        "kind": kind,
        "leadOrganisation": lead,
        "participatingOrganisations": participants,
        "themes": themes,
        "instruments": instruments,
        "status": status,
        "statusSince": since,
        **more,
    }


DETENTION = "Conditions for migrants in detention and reception facilities."
REFOULEMENT = "Migrants returned or pushed back to where they risk serious harm."
MONITORING = "Independent monitoring, human-rights conditions in agreements, training."

COUNTRIES: Final[tuple[DemoCountry, ...]] = (
    DemoCountry(
        code="MAR",
        profile={
            "migrationRoles": ["origin", "transit"],
            "diplomaticRelations": "embassy",
            "keyFigures": [
                figure("returns-from-nl", 420, "persons", 2024),
                figure("asylum-applications-in-nl", 1150, "applications", 2024),
                figure(
                    "irregular-arrivals-on-route",
                    17000,
                    "detections",
                    2024,
                    label="Western Mediterranean and Atlantic routes",
                ),
            ],
            "notes": f"Return cooperation is named in the {LETTER}. Figures are illustrative.",
        },
        decisions=(decision("focus", "2025-05-23", "2027-05-23", scores(3, 5, 4, 4)),),
        tracks=(
            Track(
                track(
                    "Return cooperation with Morocco",
                    "bilateral",
                    "am",
                    ["dtv", "bz", "kmar"],
                    ["return-cooperation", "legal-migration-pilots"],
                    ["migration-dialogue", "operational-deployment-of-chain-partners"],
                    "active",
                    "2025-06-01",
                    levers=["development-cooperation", "trade"],
                    developmentThemes=["youth-employment"],
                )
            ),
        ),
        assessment=assessment(
            "periodic",
            "2026-03-15T10:00:00Z",
            "2027-03-15",
            "proceed-with-mitigation",
            risk("detention-conditions", (3, 4), (2, 3), DETENTION, MONITORING),
            risk(
                "data-protection-and-surveillance",
                (3, 3),
                (2, 2),
                "Biometric data shared for identification in return procedures.",
                "Data-protection safeguards in the arrangement; purpose limitation.",
            ),
        ),
        assessed_track="Return cooperation with Morocco",
    ),
    DemoCountry(
        code="TUN",
        profile={
            "migrationRoles": ["origin", "transit"],
            "diplomaticRelations": "embassy",
            "euPartnership": {
                "status": "concluded",
                "name": "Memorandum of Understanding on a strategic and comprehensive partnership",
                "since": "2023-07-16",
            },
            "keyFigures": [
                figure(
                    "irregular-arrivals-on-route",
                    20000,
                    "detections",
                    2024,
                    label="Central Mediterranean route, departures from Tunisia",
                ),
                figure("returns-from-nl", 150, "persons", 2024),
            ],
            "notes": f"EU partnership and border management named in the {LETTER}.",
        },
        decisions=(
            decision("watch", "2025-01-15", "2025-07-15", scores(4, 3, 3, 2)),
            decision("focus", "2025-05-23", "2027-05-23", scores(5, 3, 4, 4)),
        ),
        tracks=(
            Track(
                track(
                    "EU-Tunisia strategic and comprehensive partnership",
                    "eu",
                    "bz",
                    ["am"],
                    [
                        "anti-smuggling-and-trafficking",
                        "border-management",
                        "return-cooperation",
                        "legal-migration-pilots",
                    ],
                    ["migration-dialogue", "programmes-via-international-organisations"],
                    "active",
                    "2023-07-16",
                    levers=["development-cooperation", "trade"],
                    developmentThemes=["water", "youth-employment"],
                )
            ),
            Track(
                track(
                    "Border management cooperation with Tunisia",
                    "bilateral",
                    "am",
                    ["kmar", "politie"],
                    ["border-management", "anti-smuggling-and-trafficking"],
                    ["operational-deployment-of-chain-partners"],
                    "exploring",
                    "2025-02-01",
                    levers=["security-cooperation"],
                ),
                then=(("active", "2025-09-01"),),
            ),
        ),
        assessment=assessment(
            "periodic",
            "2026-09-15T10:00:00Z",
            "2027-03-15",
            "proceed-with-mitigation",
            risk("refoulement", (4, 5), (3, 4), REFOULEMENT, MONITORING),
            risk("detention-conditions", (4, 4), (3, 3), DETENTION, MONITORING),
            risk(
                "exploitation-and-abuse",
                (3, 4),
                (2, 3),
                "Exploitation of migrants stranded along the route.",
                "Protection programming through international organisations.",
            ),
        ),
        assessed_track="Border management cooperation with Tunisia",
    ),
    DemoCountry(
        code="EGY",
        profile={
            "migrationRoles": ["origin", "transit", "host"],
            "diplomaticRelations": "embassy",
            "euPartnership": {
                "status": "concluded",
                "name": "EU-Egypt Strategic and Comprehensive Partnership",
                "since": "2024-03-17",
            },
            "keyFigures": [figure("asylum-applications-in-nl", 300, "applications", 2024)],
            "notes": f"EU partnership named in the {LETTER}. Figures are illustrative.",
        },
        decisions=(decision("focus", "2025-05-23", "2027-05-23", scores(4, 3, 3, 3)),),
        tracks=(
            Track(
                track(
                    "EU-Egypt strategic and comprehensive partnership",
                    "eu",
                    "bz",
                    ["am"],
                    [
                        "anti-smuggling-and-trafficking",
                        "protection",
                        "asylum-and-migration-management",
                    ],
                    ["migration-dialogue", "programmes-via-international-organisations"],
                    "active",
                    "2024-03-17",
                )
            ),
        ),
        assessment=assessment(
            "periodic",
            "2026-04-20T10:00:00Z",
            "2027-04-20",
            "proceed-with-mitigation",
            risk("detention-conditions", (4, 4), (3, 3), DETENTION, MONITORING),
            risk("refoulement", (3, 5), (2, 4), REFOULEMENT, MONITORING),
        ),
    ),
    DemoCountry(
        code="JOR",
        profile={
            "migrationRoles": ["host"],
            "diplomaticRelations": "embassy",
            "euPartnership": {
                "status": "concluded",
                "name": "EU-Jordan Strategic and Comprehensive Partnership",
                "since": "2025-01-29",
            },
            "notes": f"EU partnership named in the {LETTER}.",
        },
        decisions=(decision("watch", "2025-05-23", "2026-11-23", scores(2, 1, 3, 2)),),
        tracks=(
            Track(
                track(
                    "EU-Jordan strategic and comprehensive partnership",
                    "eu",
                    "bz",
                    ["am", "szw"],
                    ["protection", "asylum-and-migration-management", "legal-migration-pilots"],
                    ["programmes-via-international-organisations"],
                    "active",
                    "2025-01-29",
                    levers=["development-cooperation"],
                    developmentThemes=["health", "water"],
                )
            ),
        ),
        assessment=assessment(
            "periodic",
            "2026-02-10T10:00:00Z",
            "2027-02-10",
            "proceed",
            risk(
                "discrimination",
                (2, 3),
                (2, 2),
                "Unequal access to services for refugees of different nationalities.",
                "Programmes open to all nationalities.",
            ),
            risk(
                "exploitation-and-abuse",
                (2, 4),
                (1, 4),
                "Exploitation in informal work.",
                "Labour-rights components in pilots.",
            ),
        ),
    ),
    DemoCountry(
        code="TUR",
        profile={
            "migrationRoles": ["origin", "transit", "host"],
            "diplomaticRelations": "embassy",
            "euPartnership": {
                "status": "concluded",
                "name": "EU-Turkey Statement",
                "since": "2016-03-18",
            },
            "keyFigures": [figure("asylum-applications-in-nl", 2800, "applications", 2024)],
            "notes": f"Border management named in the {LETTER}. Figures are illustrative.",
        },
        decisions=(decision("focus", "2025-05-23", "2027-05-23", scores(5, 3, 4, 3)),),
        tracks=(
            Track(
                track(
                    "Border management cooperation with Türkiye",
                    "bilateral",
                    "am",
                    ["kmar", "politie", "jenv"],
                    ["border-management", "anti-smuggling-and-trafficking"],
                    ["operational-deployment-of-chain-partners", "migration-dialogue"],
                    "active",
                    "2025-04-01",
                    levers=["security-cooperation"],
                )
            ),
        ),
        assessment=assessment(
            "periodic",
            "2026-05-05T10:00:00Z",
            "2027-05-05",
            "proceed-with-mitigation",
            risk("refoulement", (3, 5), (2, 4), REFOULEMENT, MONITORING),
            risk("detention-conditions", (3, 4), (2, 3), DETENTION, MONITORING),
        ),
        assessed_track="Border management cooperation with Türkiye",
    ),
    DemoCountry(
        code="UGA",
        profile={
            "migrationRoles": ["host"],
            "diplomaticRelations": "embassy",
            "notes": f"A transit-hub concept is being explored ({LETTER}).",
        },
        decisions=(decision("watch", "2025-05-23", "2027-01-31", scores(1, 1, 4, 4)),),
        tracks=(
            Track(
                track(
                    "Transit hub concept with Uganda",
                    "bilateral",
                    "am",
                    ["bz", "dtv"],
                    ["return-from-third-countries", "protection"],
                    ["migration-dialogue"],
                    "exploring",
                    "2025-05-23",
                    description="Exploring a transit hub within existing legal frameworks.",
                )
            ),
        ),
        assessment=assessment(
            "ex-ante",
            "2025-10-01T10:00:00Z",
            "2027-04-01",
            "proceed-with-mitigation",
            risk("refoulement", (3, 5), (2, 5), REFOULEMENT, MONITORING),
            risk("detention-conditions", (3, 4), (2, 3), DETENTION, MONITORING),
        ),
        assessed_track="Transit hub concept with Uganda",
    ),
    DemoCountry(
        code="LBY",
        profile={
            "migrationRoles": ["transit"],
            "keyFigures": [
                figure(
                    "irregular-arrivals-on-route",
                    43000,
                    "detections",
                    2024,
                    label="Central Mediterranean route, departures from Libya",
                ),
            ],
            "notes": f"North African transit country; anti-smuggling (COMPASS) in the {LETTER}.",
        },
        decisions=(decision("watch", "2025-05-23", "2027-05-23", scores(5, 1, 2, 2)),),
        tracks=(
            Track(
                track(
                    "Countering smuggling and trafficking in North Africa (COMPASS)",
                    "bilateral",
                    "bz",
                    ["am"],
                    ["anti-smuggling-and-trafficking", "protection", "information-campaigns"],
                    ["programmes-via-international-organisations"],
                    "active",
                    "2025-01-01",
                )
            ),
        ),
        assessment=assessment(
            "periodic",
            "2026-03-31T10:00:00Z",
            "2026-09-30",
            "proceed-with-mitigation",
            risk("detention-conditions", (5, 5), (4, 4), DETENTION, MONITORING),
            risk(
                "exploitation-and-abuse",
                (5, 4),
                (3, 4),
                "Abuse of migrants by smuggling and trafficking networks.",
                "Protection and assisted voluntary return through partners.",
            ),
        ),
        assessed_track="Countering smuggling and trafficking in North Africa (COMPASS)",
    ),
    DemoCountry(
        code="DZA",
        profile={
            "migrationRoles": ["origin", "transit"],
            "diplomaticRelations": "embassy",
            "keyFigures": [figure("returns-from-nl", 90, "persons", 2024)],
            "notes": "North African country of origin and transit. Figures are illustrative.",
        },
        decisions=(decision("watch", "2025-05-23", "2027-05-23", scores(3, 4, 2, 3)),),
        tracks=(
            Track(
                track(
                    "Return cooperation with Algeria",
                    "bilateral",
                    "am",
                    ["dtv", "bz"],
                    ["return-cooperation"],
                    ["migration-dialogue"],
                    "exploring",
                    "2025-09-01",
                    negativeMeasuresConsidered=["visa-measures"],
                    description="Illustrative: EU visa measures considered as a lever.",
                )
            ),
        ),
        assessment=assessment(
            "ex-ante",
            "2025-08-20T10:00:00Z",
            "2027-02-20",
            "proceed-with-mitigation",
            risk("detention-conditions", (3, 4), (3, 3), DETENTION, MONITORING),
        ),
    ),
)

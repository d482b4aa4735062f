"""What the API accepts, it can always give back.

For every service, generated values (free text across the whole of Unicode that
``Text`` allows, links of every length up to and past the limit) are written
through the HTTP API; each write that is accepted must read back with 200 and
the same values. A write may be refused (422: a domain rule, a personal detail in
a monitoring text); what must never happen is a value stored that its own
resource then cannot show. Examples are generated once, derandomised (a fixed
seed), and bounded, so each service takes seconds.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st
from lxml import etree

from tests.contract.round_trip_support import EXAMPLES, examples, round_trip, text
from tests.countries.conftest import _started as started_countries
from tests.databases import TestDatabases
from tests.monitoring import conftest as monitoring
from tests.notifications import conftest as notifications
from tests.programmes import conftest as programmes

_LABEL = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzüéß0123456789"), min_size=1, max_size=20
)
#: Links: general ones with any path and query, and bare hosts around the length limit
#: (2,083 characters), where normalising adds the "/" that made one unreadable.
url = st.one_of(
    st.builds(
        lambda host, path, query: f"https://{host}.example/{path}?q={query}",
        _LABEL,
        text(0, 60),
        text(0, 20),
    ),
    st.builds(
        lambda n: "https://" + "a" * n + ".org",
        st.integers(min_value=2060, max_value=2080),
    ),
)


# --- countries --------------------------------------------------------------------

FIGURE = {
    "kind": "other",
    "value": 5,
    "unit": "persons",
    "periodStart": "2025-01-01",
    "periodEnd": "2025-12-31",
}
COUNTRIES = ["MAR", "TUN", "EGY", "SEN", "NGA", "IRQ", "JOR", "LBN", "ETH", "GMB"]


async def test_country_profiles_read_back(tmp_path: Path, database: TestDatabases) -> None:
    patches = examples(
        st.fixed_dictionaries(
            {
                "notes": st.one_of(st.none(), text(0, 4000)),
                "keyFigures": st.lists(
                    st.builds(
                        lambda label, source, link: {
                            **FIGURE,
                            "label": label,
                            "source": source,
                            "sourceUrl": link,
                        },
                        text(1, 120),
                        text(1, 300),
                        url,
                    ),
                    max_size=1,
                ),
                "euPartnership": st.builds(
                    lambda name: {"status": "exploring", "name": name}, text(1, 200)
                ),
            }
        )
    )
    writes = [
        ("PATCH", f"/v1/countries/{COUNTRIES[i % len(COUNTRIES)]}", body)
        for i, body in enumerate(patches)
    ]

    def same(sent: dict[str, Any], written: dict[str, Any], read: dict[str, Any]) -> None:
        for field in ("notes", "keyFigures", "euPartnership"):
            assert read[field] == written[field], field
        assert read["notes"] == sent["notes"]
        assert [f["label"] for f in read["keyFigures"]] == [f["label"] for f in sent["keyFigures"]]

    async for countries in started_countries(tmp_path, None, database):
        accepted = await round_trip(
            countries.client,
            writes,
            countries.auth(),
            lambda path, _: path,
            same,
            refusable=True,
        )
        assert accepted >= EXAMPLES // 2


# --- programmes -------------------------------------------------------------------


async def test_programmes_read_back_and_export(tmp_path: Path, database: TestDatabases) -> None:
    def body(title: str, description: str, name: str) -> dict[str, Any]:
        organisations = programmes.programme_body()["participatingOrganisations"]
        return programmes.programme_body(
            title=title,
            description=description,
            participatingOrganisations=[organisations[0], {**organisations[1], "name": name}],
        )

    bodies = examples(st.builds(body, text(1, 200), text(1, 4000), text(1, 200)))
    writes = [("POST", "/v1/programmes", b) for b in bodies]

    def same(sent: dict[str, Any], written: dict[str, Any], read: dict[str, Any]) -> None:
        assert read == written
        assert (read["title"], read["description"]) == (sent["title"], sent["description"])

    settings_ = programmes.settings_for(tmp_path, None, database=database)
    async with programmes.running(settings_) as service:
        headers = service.auth()
        accepted = await round_trip(
            service.client,
            writes,
            headers,
            lambda _, written: f"/v1/programmes/{written.json()['programmeId']}",
            same,
            refusable=True,
        )
        assert accepted >= EXAMPLES // 2
        export = await service.client.get("/v1/iati-activities?pageSize=100", headers=headers)
        assert export.status_code == 200
        assert len(etree.fromstring(export.content).findall("iati-activity")) == accepted


# --- monitoring -------------------------------------------------------------------


async def test_monitoring_evidence_reads_back(tmp_path: Path, database: TestDatabases) -> None:
    programme_id = f"prg-2026-{uuid.uuid4().int % 10000:04d}"
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    ratings = dict.fromkeys(
        ("relevance", "coherence", "effectiveness", "efficiency", "impact", "sustainability"),
        "satisfactory",
    )

    def incident(summary: str) -> tuple[str, str, dict[str, Any]]:
        return (
            "POST",
            "/v1/incidents",
            {
                "programmeId": programme_id,
                "category": "mistreatment",
                "severity": "low",
                "countryCode": "TUN",
                "occurredOn": yesterday,
                "verified": False,
                "summary": summary,
            },
        )

    def evaluation(summary: str, link: str) -> tuple[str, str, dict[str, Any]]:
        return (
            "POST",
            "/v1/evaluations",
            {
                "programmeId": programme_id,
                "kind": "mid-term",
                "independent": True,
                "completedOn": yesterday,
                "overallRating": "satisfactory",
                "ratings": ratings,
                "summary": summary,
                "documentUrl": link,
            },
        )

    writes = examples(st.builds(incident, text(1, 500))) + examples(
        st.builds(evaluation, text(1, 4000), url)
    )

    def location(path: str, written: httpx.Response) -> str:
        body = written.json()
        return f"{path}/{body.get('incidentId') or body['evaluationId']}"

    def same(sent: dict[str, Any], written: dict[str, Any], read: dict[str, Any]) -> None:
        assert read == written
        assert read["summary"] == sent["summary"]

    settings_ = monitoring.settings_for(tmp_path, None, database=database)
    async with monitoring.running(settings_) as service:
        event = monitoring.cloud_event(monitoring.approved(programme_id))
        await monitoring.deliver(service, event)
        accepted = await round_trip(
            service.client, writes, service.auth("am"), location, same, refusable=True
        )
        assert accepted >= EXAMPLES // 2


# --- notifications ----------------------------------------------------------------


async def test_subscriptions_read_back(tmp_path: Path, database: TestDatabases) -> None:
    writes = examples(
        st.builds(
            lambda description: (
                "POST",
                "/v1/subscriptions",
                {"channels": ["monitoring"], "description": description},
            ),
            text(0, 200),
        )
    )

    def same(sent: dict[str, Any], written: dict[str, Any], read: dict[str, Any]) -> None:
        assert read["description"] == written["description"] == sent["description"]

    settings_ = notifications.settings_for(tmp_path, None, database=database)
    async with notifications.running(settings_) as service:
        accepted = await round_trip(
            service.client,
            writes,
            service.auth(),
            lambda path, written: f"{path}/{written.json()['subscriptionId']}",
            same,
        )
        assert accepted == EXAMPLES

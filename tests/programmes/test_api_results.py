"""The results framework: revisions, the full set announced to monitoring."""

from __future__ import annotations

from tests.programmes.conftest import Service, framework_body


async def test_each_change_is_a_revision_announced_in_full(service: Service) -> None:
    programme_id = await service.create()
    path = f"/v1/programmes/{programme_id}/results-framework"
    empty = (await service.client.get(path, headers=service.auth("bz", []))).json()
    assert empty == {"programmeId": programme_id, "revision": 0, "indicators": []}

    first = await service.client.put(path, json=framework_body(), headers=service.auth())
    assert first.status_code == 200, first.text
    assert first.json()["revision"] == 1
    indicator = first.json()["indicators"][1]
    assert (indicator["measure"], indicator["ascending"], indicator["baseline"]) == (
        "percentage",
        False,
        {"year": framework_body()["indicators"][1]["baseline"]["year"], "value": "12.5"},
    )
    revised = framework_body()
    revised["indicators"] = revised["indicators"][:1]
    second = await service.client.put(path, json=revised, headers=service.auth())
    assert second.json()["revision"] == 2
    assert (await service.client.get(path, headers=service.auth())).json() == second.json()

    changes = [
        e for e in await service.emitted(programme_id) if e.name == "results-framework-changed"
    ]
    assert [c.data["revision"] for c in changes] == [1, 2]
    assert [len(c.data["indicators"]) for c in changes] == [2, 1]
    assert changes[0].data["indicators"][1]["direction"] == "decrease"
    assert changes[0].data["resultsFrameworkUrl"].endswith(f"/{programme_id}/results-framework")


async def test_an_approved_programme_keeps_an_indicator(service: Service) -> None:
    programme_id = await service.approved()
    response = await service.client.put(
        f"/v1/programmes/{programme_id}/results-framework",
        json={"indicators": []},
        headers=service.auth(),
    )
    assert response.status_code == 409


async def test_qualitative_indicators_carry_no_numbers(service: Service) -> None:
    programme_id = await service.create()
    body = {
        "indicators": [
            {
                "indicatorId": "dialogue-quality",
                "title": "Quality of the migration dialogue",
                "resultType": "outcome",
                "measure": "qualitative",
                "ascending": True,
                "baseline": {"year": 2025, "value": "3"},
            }
        ]
    }
    response = await service.client.put(
        f"/v1/programmes/{programme_id}/results-framework", json=body, headers=service.auth()
    )
    assert response.status_code == 422
    assert response.json()["invalidParams"][0]["name"] == "indicators[0].baseline.value"

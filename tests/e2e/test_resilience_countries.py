"""kill -9 of countries mid-stream of profile changes: its outbox announces each change once."""

from __future__ import annotations

import pytest

from tests.e2e.resilience import FAULT_TEST_TIMEOUT_S
from tests.e2e.stack import Stack, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(FAULT_TEST_TIMEOUT_S)]
BASE_PORT = 18131

PROFILE_UPDATED = "nl.migratiesamenwerking.countries.country-profile-updated"
PROFILE_CHANGES = 200


def test_kill_9_countries_mid_stream_of_profile_changes(stack: Stack) -> None:
    """The countries outbox under kill -9: every accepted change announced and delivered once."""
    country = "ISL"  # no other test of this module touches Iceland
    subscription = stack.subscribe(
        "bz", eventTypes=[PROFILE_UPDATED], filters={"countryCode": [country]}
    )
    first = stack.call("countries", "GET", f"/countries/{country}", "bz")["revision"]

    def change(count: int, offset: int) -> None:
        for n in range(offset, offset + count):
            stack.call(
                "countries",
                "PATCH",
                f"/countries/{country}",
                "bz",
                json={"notes": f"Resilience test change {n}."},
            )

    change(PROFILE_CHANGES // 2, 0)
    stack.supervisor.kill("countries")  # its relay may still hold unsent changes
    stack.restart("countries")
    change(PROFILE_CHANGES - PROFILE_CHANGES // 2, PROFILE_CHANGES // 2)

    def delivered() -> list[int]:
        return sorted(
            d.data["revision"]
            for d in stack.receiver.at("bz", "country-profile-updated")
            if d.data.get("countryCode") == country
        )

    expected = list(range(first + 1, first + PROFILE_CHANGES + 1))
    wait_for(lambda: len(delivered()) >= PROFILE_CHANGES, timeout=120, what="every change")
    assert delivered() == expected
    received = [
        d
        for d in stack.receiver.at("bz", "country-profile-updated")
        if d.data.get("countryCode") == country
    ]
    assert len({d.webhook_id for d in received}) == PROFILE_CHANGES
    assert len({d.event["id"] for d in received}) == PROFILE_CHANGES
    found = stack.call(
        "notifications",
        "GET",
        "/deliveries",
        "bz",
        params={"subscriptionId": subscription, "status": "delivered", "pageSize": 1},
    )
    assert found["totalItems"] == PROFILE_CHANGES

"""Notifications: subscription changes and inbox marks (new subscriptions are in
``test_round_trip.py``).

Only the subscribing organisation manages its subscriptions and inbox
(``services/notifications/domain/rights.py``), so each write is its own. Changes
keep to the inbox and stream sinks: a webhook url is verified by a signed call to
it, which ``tests/notifications`` covers against a receiver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import strategies as st

from services.notifications.api.subscription_models import SubscriptionPatch
from shared.contracts.vocabulary import FlagCategory, Severity, Theme
from shared.organisations import ORGANISATIONS
from tests.contract.round_trip_support import FEW, assert_sent, examples, text_of
from tests.databases import TestDatabases
from tests.notifications import conftest as notifications

#: Filters every programmes and monitoring event has; the flag's own only on monitoring.
_SHARED_FILTERS = {
    "owningOrganisation": st.lists(st.sampled_from([*sorted(ORGANISATIONS), "mine"]), max_size=4),
    "countryCode": st.lists(st.sampled_from(["MAR", "TUN", "EGY", "NGA", "IRQ"]), max_size=4),
    "theme": st.lists(st.sampled_from([t.value for t in Theme]), max_size=3),
    "programmeId": st.lists(
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True), max_size=3
    ),
}
_MONITORING_FILTERS = {
    "flagCategory": st.lists(st.sampled_from([c.value for c in FlagCategory]), max_size=3),
    "severityAtLeast": st.none() | st.sampled_from([s.value for s in Severity]),
}
#: Filters whose repeated values are dropped (any listed value matches).
LISTS = {"owningOrganisation", "countryCode", "theme", "programmeId", "flagCategory"}


@pytest.fixture(scope="module")
async def service(
    tmp_path_factory: pytest.TempPathFactory, database: TestDatabases
) -> AsyncIterator[notifications.Service]:
    var = tmp_path_factory.mktemp("round-trip-notifications")
    async with notifications.running(
        notifications.settings_for(var, None, database=database)
    ) as started:
        yield started


@st.composite
def changes(draw: st.DrawFn) -> dict[str, Any]:
    """Some of a subscription's properties; filters only on attributes its channels carry."""
    channels = draw(st.sampled_from([["monitoring"], ["programmes"], ["programmes", "monitoring"]]))
    chosen = _SHARED_FILTERS | (_MONITORING_FILTERS if channels == ["monitoring"] else {})
    names = draw(st.lists(st.sampled_from(sorted(chosen)), unique=True))
    candidates: dict[str, Any] = {
        "description": draw(text_of(SubscriptionPatch, "description")),
        "channels": channels,
        "filters": {name: draw(chosen[name]) for name in names},
        "sinks": draw(st.sampled_from([["inbox"], ["stream"], ["inbox", "stream"]])),
    }
    keep = draw(st.lists(st.sampled_from(sorted(candidates)), unique=True, min_size=1))
    # Filters are checked against the channels: changed together, or on monitoring's.
    if "filters" in keep and "channels" not in keep:
        keep.append("channels")
    return {name: candidates[name] for name in keep}


async def test_subscription_changes_read_back(service: notifications.Service) -> None:
    for patch in examples(changes(), FEW):
        created = await service.subscribe("bz", sinks=["inbox"], description="before")
        path = f"/v1/subscriptions/{created['subscriptionId']}"
        written = await service.client.patch(path, json=patch, headers=service.auth("bz"))
        assert written.status_code == 200, (patch, written.text[:500])
        read = await service.client.get(path, headers=service.auth("bz"))
        assert read.status_code == 200, read.text[:500]
        assert read.json() == written.json()
        assert_sent(patch, read.json(), sets=LISTS)
        unchanged = {"description": "before", "channels": ["monitoring"], "sinks": ["inbox"]}
        assert_sent({k: v for k, v in unchanged.items() if k not in patch}, read.json())


async def test_inbox_marks_read_back(service: notifications.Service) -> None:
    await service.subscribe("jenv", sinks=["inbox"])
    flagged = notifications.flagged()
    await notifications.deliver(service, notifications.cloud_event(flagged))
    headers = service.auth("jenv")
    [entry] = (await service.client.get("/v1/inbox", headers=headers)).json()["items"]
    path = f"/v1/inbox/{entry['entryId']}"
    for mark in examples(st.fixed_dictionaries({"read": st.booleans()}), FEW):
        written = await service.client.patch(path, json=mark, headers=headers)
        assert written.status_code == 200, (mark, written.text[:500])
        read = await service.client.get(path, headers=headers)
        assert read.status_code == 200
        assert read.json() == written.json()
        assert read.json()["read"] is mark["read"]
        assert (read.json()["readAt"] is None) is not mark["read"]

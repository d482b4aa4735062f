"""The tests' webhook receiver, checking signatures as the end-to-end stack runs it.

The end-to-end tests count on it to refuse what does not verify and to tell
their own stack's notifications apart; here that is checked without a stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.webhook_receiver import Receiver, free_port

OIN = "00000000000000000042"
FLAGGED = "nl.migratiesamenwerking.monitoring.programme-flagged"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver(port=free_port(), checks_signatures=True, oin=OIN).start()
    yield started
    started.stop()


def send(url: str, secret: str, event: dict[str, Any], webhook_id: str = "msg_1") -> int:
    body = json.dumps(event)
    now = datetime.now(UTC)
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
        "content-type": "application/json",
    }
    return httpx.post(url, content=body, headers=headers).status_code


def event(oin: str = OIN, type_: str = FLAGGED, programme_id: str = "prg-2026-0001") -> Any:
    return {
        "type": type_,
        "source": f"urn:nld:oin:{oin}:systeem:monitoring",
        "data": {"programmeId": programme_id},
    }


def test_verified_notifications_are_kept_by_organisation_and_type(receiver: Receiver) -> None:
    url, secret = receiver.endpoint("am")
    assert send(url, secret, event(), "msg_1") == 204
    assert send(url, secret, event(programme_id="prg-2026-0002"), "msg_2") == 204
    first, second = receiver.at("am", "programme-flagged")
    assert (first.webhook_id, second.webhook_id) == ("msg_1", "msg_2")
    assert first.type == "programme-flagged"
    assert [d.webhook_id for d in receiver.about("prg-2026-0002")] == ["msg_2"]
    assert receiver.at("am", "review-opened") == [] and receiver.at("bz") == []
    assert receiver.rejected == 0


def test_a_bad_signature_is_refused_and_counted(receiver: Receiver) -> None:
    url, _ = receiver.endpoint("am")
    assert send(url, "whsec_" + "QUJD" * 8, event()) == 401
    assert receiver.rejected == 1
    assert receiver.received == []


def test_a_path_without_a_secret_is_not_found(receiver: Receiver) -> None:
    assert send(receiver.url("/nobody"), "whsec_" + "QUJD" * 8, event()) == 404
    assert receiver.received == [] and receiver.rejected == 0


def test_other_stacks_and_verification_calls_do_not_count(receiver: Receiver) -> None:
    url, secret = receiver.endpoint("am")
    verification = "nl.migratiesamenwerking.notifications.endpoint-verification"
    assert send(url, secret, event(type_=verification), "msg_v") == 204
    assert send(url, secret, event(oin="00000000000000000099"), "msg_x") == 204
    assert send(url, secret, event(), "msg_1") == 204
    assert send(url, secret, event(), "msg_1") == 204  # a redelivery
    assert [d.webhook_id for d in receiver.at("am")] == ["msg_1", "msg_1"]
    assert receiver.repeated_ids() == {"msg_1": 2}
    assert len(receiver.received) == 4 and len(receiver.deliveries("/am")) == 3

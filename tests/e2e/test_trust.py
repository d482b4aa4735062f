"""Forged events on the running stack: refused by every consumer, with no effect anywhere.

The broker's ACLs already keep an outside producer off the domain topics
(``tests/integration/test_bus_security.py``). These records are written as the
admin principal, standing in for a writer that got through anyway (a leaked
service credential, a misconfigured ACL): the consumers' own provenance check
must still refuse them. Each forged record is aimed at a programme whose owner
subscribes with every sink (webhook, inbox, stream), and a genuine flag on the
same programme afterwards shows that each sink does work, so the absence of the
forged ones means something.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from prometheus_client.parser import text_string_to_metric_families

from shared.contracts.monitoring import ProgrammeFlagged
from shared.events.catalogue import (
    SERVICES,
    dead_letter_topic_of,
    entry_for,
    stream_topic_of,
    topic_of,
)
from shared.events.envelope import KafkaRecord, new_event
from shared.kafka.principals import ADMIN, organisation_principal, stack_principals
from shared.kafka.security import password_file
from shared.settings import PROJECT_ROOT
from tests.e2e.stack import Stack, commit_groups_at_end, read_dead_letters, wait_for
from tests.support import TEST_SECRETS, example, kafka_options

pytestmark = pytest.mark.kafka
BASE_PORT = 18121
FLAGGED = entry_for(ProgrammeFlagged).type
MONITORING = topic_of("monitoring")
COUNTRIES = topic_of("countries")


@dataclass
class Target:
    """The programme the forgeries aim at, and where its owner's stream is read from."""

    programme_id: str
    stream_principal: str
    stream_group: str
    #: Ids of the genuine flags the first test made, for the README consumer to find.
    genuine: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def target(stack: Stack) -> Iterator[Target]:
    pid = stack.programme(owner="am", agencies=("kmar",), country="TUN")
    url, secret = stack.receiver.endpoint("am")
    stack.call(
        "notifications",
        "POST",
        "/subscriptions",
        "am",
        201,
        json={
            "url": url,
            "secret": secret,
            "description": "every sink",
            "sinks": ["webhook", "inbox", "stream"],
            "channels": ["monitoring", "programmes"],
            "filters": {"owningOrganisation": ["mine"], "programmeId": [pid]},
        },
    )
    principal = organisation_principal(stack.settings, "am")
    group = f"{principal.group_prefix}trust-{uuid.uuid4().hex[:8]}"
    readme_group = f"{principal.group_prefix}alerts"  # the README consumer's group
    groups = {g: [stream_topic_of("am")] for g in (group, readme_group)}
    asyncio.run(commit_groups_at_end(stack.settings, groups))
    yield Target(pid, principal.name, group)


def forged_flag(stack: Stack, pid: str, *, topic: str, source: str) -> KafkaRecord:
    """A well-formed ``programme-flagged`` for ``pid``: only its topic or source gives it away."""
    data = example(
        ProgrammeFlagged,
        programmeId=pid,
        owningOrganisation="am",
        partnerOrganisations=["kmar"],
        countryCodes=["TUN"],
        category="counterproductive",
        severity="high",
    )
    event = new_event(
        source=source,
        type=FLAGGED,
        data=data.to_data(),
        subject=pid,
        dataschema=entry_for(ProgrammeFlagged).dataschema,
        sequence=1,
    )
    return event.to_record(topic, pid)


async def write_as_admin(stack: Stack, records: list[KafkaRecord]) -> None:
    producer = AIOKafkaProducer(**kafka_options(stack.bootstrap), linger_ms=5)
    await producer.start()
    try:
        sent = [
            await producer.send(r.topic, r.value, key=r.key, headers=r.headers) for r in records
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def read_stream(
    bootstrap: str, principal: str, group: str, until_ids: set[str], quiet_s: float = 3.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """The organisation's stream as it reads it: its own principal, its own group."""
    consumer = AIOKafkaConsumer(
        stream_topic_of("am"),
        **kafka_options(bootstrap, principal),
        group_id=group,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    try:
        while not until_ids <= {_header(r, "ce_id") for r in records}:
            assert loop.time() < deadline, f"{len(records)} stream records only"
            batch = await consumer.getmany(timeout_ms=500)
            records += [r for rs in batch.values() for r in rs]
        batch = await consumer.getmany(timeout_ms=int(quiet_s * 1000))  # nothing more may come
        records += [r for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    return records


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return bytes(value).decode()
    return None


def metrics_of(stack: Stack, service: str) -> str:
    response = httpx.get(f"{stack.supervisor.base_url(service)}/metrics", timeout=10)
    response.raise_for_status()
    return response.text


def dead_lettered(text: str, service: str, reason: str) -> float:
    prefix = f'taskforce_events_dead_lettered_total{{reason="{reason}",service="{service}"}} '
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0


def database_rows(stack: Stack) -> dict[str, dict[str, int]]:
    """Rows per table in every service's database, read-only, as an outsider would count."""
    counts: dict[str, dict[str, int]] = {}
    for service in SERVICES:
        path = stack.settings.var_dir / "db" / f"{service}.db"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            counts[service] = {
                t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables
            }
    return counts


def settled_rows(stack: Stack) -> dict[str, dict[str, int]]:
    """The row counts once nothing has moved for two seconds (relays and workers at rest)."""
    previous = database_rows(stack)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(2)
        current = database_rows(stack)
        if current == previous:
            return current
        previous = current
    raise AssertionError("the stack's databases did not settle")


def test_refusals_at_the_door_leave_nothing_but_their_audit_records(stack: Stack) -> None:
    """From outside: a huge body, an absurd page and a cross-ministry incident are refused.

    Runs first in the module, on a stack doing nothing else, so that any row that
    appears can only come from these requests.
    """
    pid = stack.programme(owner="am", agencies=("kmar",), country="TUN")
    before = settled_rows(stack)

    huge = httpx.post(
        stack.url("programmes", "/programmes"),
        content=b"{" + b" " * (16 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert huge.status_code == 413, huge.text
    assert huge.headers["content-type"].startswith("application/problem+json")

    absurd = httpx.get(
        stack.url("programmes", f"/programmes?page={10**21}"),
        headers=stack.headers("programmes", "bz"),
        timeout=30,
    )
    assert 400 <= absurd.status_code < 500, absurd.text
    assert "page" in absurd.text

    foreign = httpx.post(
        stack.url("monitoring", "/incidents"),
        headers=stack.headers("monitoring", "bz"),
        json={
            "programmeId": pid,
            "category": "exploitation",
            "severity": "critical",
            "countryCode": "TUN",
            "occurredOn": f"{time.gmtime().tm_year}-01-02",
            "verified": True,
            "summary": "Reported by a ministry that neither owns nor takes part.",
        },
        timeout=30,
    )
    assert foreign.status_code == 403, foreign.text
    assert foreign.headers["content-type"].startswith("application/problem+json")

    after = settled_rows(stack)
    changed = {
        (service, table): (before[service].get(table), rows)
        for service, tables in after.items()
        for table, rows in tables.items()
        if before[service].get(table) != rows
    }
    assert set(changed) == {("monitoring", "audit_record")}, changed
    path = stack.settings.var_dir / "db" / "monitoring.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        refused = db.execute(
            "SELECT organisation, result, object FROM audit_record ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    assert refused[0] == "bz" and refused[1] == 403, refused


def test_forged_flags_are_dead_lettered_and_reach_no_review_webhook_inbox_or_stream(
    stack: Stack, target: Target
) -> None:
    pid = target.programme_id
    dead_letter_topics = [
        dead_letter_topic_of(s) for s in ("programmes", "monitoring", "notifications")
    ]
    watcher = f"e2e-trust-{uuid.uuid4().hex[:8]}"
    asyncio.run(commit_groups_at_end(stack.settings, {watcher: dead_letter_topics}))
    before = {s: metrics_of(stack, s) for s in ("programmes", "notifications")}

    made_up = f"urn:nld:oin:{stack.oin}:systeem:monitoring-sim"
    asyncio.run(
        write_as_admin(
            stack,
            [
                # The right topic, a source that is not the monitoring service's.
                forged_flag(stack, pid, topic=MONITORING, source=made_up),
                # A real service's source, on the topic it writes, but not its event type.
                forged_flag(
                    stack, pid, topic=COUNTRIES, source=stack.settings.source_for("countries")
                ),
            ],
        )
    )
    found = asyncio.run(read_dead_letters(stack.bootstrap, watcher, dead_letter_topics, {pid}, 5))
    prefix = stack.prefix
    assert Counter(found) == {
        (MONITORING, f"{prefix}.programmes", "untrusted-source"): 1,
        (MONITORING, f"{prefix}.notifications", "untrusted-source"): 1,
        (COUNTRIES, f"{prefix}.programmes", "untrusted-source"): 1,
        (COUNTRIES, f"{prefix}.monitoring", "untrusted-source"): 1,
        (COUNTRIES, f"{prefix}.notifications", "untrusted-source"): 1,
    }

    # A genuine flag after them: the counterproductive result the owner's partner reports.
    stack.report_counterproductive_result(pid, reporter="kmar")
    [flag] = wait_for(
        lambda: stack.call("monitoring", "GET", "/flags", "am", params={"programmeId": pid})[
            "items"
        ],
        what="the genuine flag",
    )
    [webhook] = wait_for(lambda: stack.receiver.at("am", "programme-flagged"), what="its webhook")
    genuine = webhook.event["id"]
    target.genuine.append(genuine)
    assert webhook.data["flagId"] == flag["flagId"]

    # Each sink carries the genuine flag, and only it.
    [review] = stack.call("programmes", "GET", f"/programmes/{pid}/reviews", "am")["items"]
    assert review["flagIds"] == [flag["flagId"]]
    inbox = stack.call("notifications", "GET", "/inbox", "am", params={"pageSize": 100})["items"]
    assert [e["eventId"] for e in inbox if e["eventType"] == FLAGGED] == [genuine]
    stream = asyncio.run(
        read_stream(stack.bootstrap, target.stream_principal, target.stream_group, {genuine})
    )
    flagged = [r for r in stream if _header(r, "ce_type") == FLAGGED]
    assert [_header(r, "ce_id") for r in flagged] == [genuine]
    assert _header(flagged[0], "ce_source") == stack.settings.source_for("monitoring")
    assert [d.event["id"] for d in stack.receiver.at("am", "programme-flagged")] == [genuine]

    # The refusals are counted where operators look.
    for service, refused in (("programmes", 2), ("notifications", 2)):
        after = metrics_of(stack, service)
        grown = dead_lettered(after, service, "untrusted-source") - dead_lettered(
            before[service], service, "untrusted-source"
        )
        # At least: another stack's events on the shared test topics (another OIN) are
        # refused as well, when one runs at the same time.
        assert grown >= refused, service


def test_thousands_of_made_up_types_are_dead_lettered_and_do_not_grow_metrics(
    stack: Stack,
) -> None:
    """5,000 records of types nobody declared: one label value ``unknown``, not 5,000."""
    count = 5000
    source = stack.settings.source_for("monitoring")
    rng = random.Random(11)
    records = [
        new_event(
            source=source,
            type=f"nl.migratiesamenwerking.monitoring.made-up-{rng.getrandbits(64):x}",
            data={"n": n},
            subject=f"made-up-{n}",
        ).to_record(MONITORING, f"made-up-{n}")
        for n in range(count)
    ]
    services = ("programmes", "notifications")
    before = {s: metrics_of(stack, s) for s in services}
    asyncio.run(write_as_admin(stack, records))
    for service in services:
        base = dead_lettered(before[service], service, "unknown-type")

        def all_parked(service: str = service, base: float = base) -> bool:
            return (
                dead_lettered(metrics_of(stack, service), service, "unknown-type") - base >= count
            )

        wait_for(all_parked, timeout=180, what=f"{service} to dead-letter {count} records")
        after = metrics_of(stack, service)
        assert dead_lettered(after, service, "unknown-type") - base == count
        assert "made-up-" not in after
        # The counters moved; the only new series are those of the type ``unknown``.
        added = series(after) - series(before[service])
        untyped = sorted(
            (name, sorted(labels)) for name, labels in added if "type" not in dict(labels)
        )
        assert {dict(labels).get("type") for _, labels in added} <= {"unknown", None}, added
        assert len(untyped) < 10, untyped
        # One type's series (a histogram, a few counters) is about 3 KiB; one per forged
        # type would be megabytes.
        assert len(after) - len(before[service]) < 8192, (len(before[service]), len(after))


def series(text: str) -> set[tuple[str, frozenset[tuple[str, str]]]]:
    """Each sample's name and labels in a Prometheus text exposition."""
    return {
        (sample.name, frozenset(sample.labels.items()))
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_no_password_in_logs_spans_records_or_command_lines(stack: Stack, target: Target) -> None:
    passwords = {
        password_file(TEST_SECRETS, p.name).read_text().strip()
        for p in stack_principals(stack.settings)
    }
    passwords.add(password_file(TEST_SECRETS, ADMIN).read_text().strip())
    assert all(len(p) >= 20 for p in passwords)
    var: Path = stack.settings.var_dir
    scanned: list[Path] = []
    for path in var.rglob("*"):
        if not path.is_file() or ".db" in path.name:
            continue
        text = path.read_bytes().decode(errors="replace")
        scanned.append(path)
        assert not [p for p in passwords if p in text], f"a password in {path}"
    # Private to the platform's user: directories 0700, files 0600 (shared/private.py).
    for path in [var, *var.rglob("*")]:
        assert path.stat().st_mode & 0o077 == 0, f"{path} is open to others"
    logs = {stack.supervisor.log_path(name) for name in stack.supervisor.processes}
    assert logs <= set(scanned), "a service's log was not scanned"
    for process in stack.supervisor.processes.values():
        for part in ("cmdline", "environ"):
            text = Path(f"/proc/{process.pid}/{part}").read_bytes().decode(errors="replace")
            assert not [p for p in passwords if p in text], f"a password in {part} of {process.pid}"
    # Headers of what the stack put on the organisation's stream: no credential either.
    stream = asyncio.run(
        read_stream(stack.bootstrap, target.stream_principal, target.stream_group, set(), 1.0)
    )
    for record in stream:
        for _, value in record.headers:
            assert not [p for p in passwords if p in bytes(value).decode(errors="replace")]


def test_the_readme_agency_consumer_prints_the_flag_from_the_organisations_stream(
    stack: Stack, target: Target, tmp_path: Path
) -> None:
    """The consumer in README.md's "Agency integration", run as written, as ``am``."""
    assert target.genuine, "the forged-flags test before this one makes the genuine flag"
    script = tmp_path / "agency.py"
    script.write_text(readme_block("<!-- agency-consumer -->"))
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap,
        "KAFKA_USERNAME": target.stream_principal,
        "KAFKA_PASSWORD_FILE": str(password_file(TEST_SECRETS, target.stream_principal)),
        "KAFKA_TOPIC": stream_topic_of("am"),
        "IDLE_SECONDS": "3",
    }
    result = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=90
    )
    assert result.returncode == 0, result.stderr
    printed = [line.split() for line in result.stdout.splitlines()]
    assert printed == [[target.genuine[0], target.programme_id, "counterproductive", "high"]]


def readme_block(marker: str) -> str:
    """The fenced code block right after ``marker`` in README.md."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    after = readme.split(marker, 1)[1]
    body = after.split("```", 2)[1]
    return body.split("\n", 1)[1]

"""``taskforce events tail``: one readable line per record."""

from __future__ import annotations

import json

from shared.cli.events import data_summary, format_record, matches, short_type
from shared.contracts.monitoring import ProgrammeFlagged
from shared.events.catalogue import entry_for
from shared.events.envelope import new_event
from tests.support import example


def flagged_record() -> tuple[bytes | None, bytes, list[tuple[str, bytes | None]]]:
    data = example(ProgrammeFlagged, programmeId="prg-2026-0042")
    entry = entry_for(ProgrammeFlagged)
    event = new_event(
        source="urn:nld:oin:00000000000000000000:systeem:monitoring",
        type=entry.type,
        data=data.to_data(),
        subject=data.aggregate_id(),
        dataschema=entry.dataschema,
        sequence=7,
    )
    record = event.to_record(entry.topic, event.subject)
    return record.key, record.value, list(record.headers)


def test_a_line_has_time_topic_key_type_subject_and_some_data() -> None:
    key, value, headers = flagged_record()
    line = format_record("taskforce.monitoring.v1", 1, 42, key, value, headers)
    time_text, where, key_text, kind, subject, *rest = line.split("  ")
    assert time_text.endswith("Z") and time_text[:4].isdigit()
    assert where == "taskforce.monitoring.v1[1]@42"
    assert key_text == "key=prg-2026-0042"
    assert kind == "programme-flagged"
    assert subject == "subject=prg-2026-0042"
    assert "programmeId=prg-2026-0042" in rest[0]
    assert "\n" not in line


def test_data_shows_the_first_scalar_fields_clipped() -> None:
    value = json.dumps(
        {"a": "x" * 100, "nested": {"b": 1}, "list": [1], "n": 3, "c": None, "d": True, "e": 1}
    ).encode()
    summary = data_summary(value)
    assert summary.startswith("a=" + "x" * 37 + "...")
    assert "nested" not in summary and "list" not in summary and "c=" not in summary
    assert summary.endswith("n=3 d=true e=1")
    assert data_summary(b"\xff not json") == "<10 bytes, not JSON>"


def test_a_record_without_cloudevents_headers_still_prints() -> None:
    line = format_record("taskforce.monitoring.dead-letter.v1", 0, 3, None, b"{}", [], 0)
    assert line.startswith(
        "1970-01-01T00:00:00.000+00:00  taskforce.monitoring.dead-letter.v1[0]@3"
    )
    assert "key=-" in line and "  ?" in line


def test_dead_letters_show_their_reason() -> None:
    key, value, headers = flagged_record()
    headers.append(("dead-letter-reason", b"schema-validation"))
    assert "dead-letter=schema-validation" in format_record("t", 0, 0, key, value, headers)


def test_the_type_filter_takes_full_and_short_names() -> None:
    _, _, headers = flagged_record()
    full = entry_for(ProgrammeFlagged).type
    assert short_type(full) == "programme-flagged"
    assert matches(headers, [])
    assert matches(headers, [full])
    assert matches(headers, ["programme-flagged"])
    assert not matches(headers, ["review-opened"])
    assert not matches([], ["programme-flagged"])

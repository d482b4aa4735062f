"""JSON Schema export of the event catalogue: one file per event type plus an index.

The schemas are generated from the pydantic contracts, never written by hand,
so what consumers outside the platform validate against is what the
producers validate with. ``index.json`` lets a reader find a type's topic,
Kafka key and schema file without parsing every schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shared.contracts  # noqa: F401  (registers every event type in the catalogue)
from shared.events.catalogue import CATALOGUE, EventType

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
INDEX_FILE = "index.json"


def key_property(entry: EventType) -> str:
    """The wire (camelCase) name of the property that holds the Kafka key."""
    return entry.key_property


def schema_file_name(entry: EventType) -> str:
    return f"{entry.type}.json"


def event_schema(entry: EventType) -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of one event type's ``data``.

    ``x-kafka-key`` names the wire property, as a schema reader sees it.
    """
    return entry.json_schema()


def schema_index() -> dict[str, dict[str, str]]:
    """Event type -> service, topic, key property, dataschema URN and schema file."""
    return {
        entry.type: {
            "service": entry.service,
            "topic": entry.topic,
            "key": key_property(entry),
            "dataschema": entry.dataschema,
            "schema": schema_file_name(entry),
        }
        for entry in sorted(CATALOGUE.values(), key=lambda e: e.type)
    }


def export_json_schemas(out_dir: Path | str) -> list[Path]:
    """Write ``<type>.json`` for every catalogued event type and ``index.json``.

    Returns the files written, schemas first (sorted by type), index last.
    Files of types no longer catalogued are left alone: within ``v1`` types
    are never removed, and a stale file is easier to spot than a missing one.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for entry in sorted(CATALOGUE.values(), key=lambda e: e.type):
        written.append(_write_json(out / schema_file_name(entry), event_schema(entry)))
    written.append(_write_json(out / INDEX_FILE, schema_index()))
    return written


def _write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

"""The event catalogue against the platform's contract rules.

Every event type: NL GOV naming, a key field, a draft 2020-12 JSON Schema with
camelCase properties and no personal data, examples that both the model and
the schema accept. Then the exported files and each service's AsyncAPI
document, including the consumed types of a service with real subscribers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy.ext.asyncio import async_sessionmaker
from typer.testing import CliRunner

import shared.contracts as contracts
from shared.asyncapi import HEADERS_SCHEMA, asyncapi_document
from shared.cli.schemas import app as schemas_cli
from shared.consumer import EventConsumer
from shared.contracts.vocabulary import examples_of
from shared.events.catalogue import CATALOGUE, SERVICES, EventType, topic_of, types_of
from shared.schemas import (
    INDEX_FILE,
    JSON_SCHEMA_DIALECT,
    event_schema,
    export_json_schemas,
    key_property,
)
from shared.settings import PlatformSettings

ENTRIES = sorted(CATALOGUE.values(), key=lambda e: e.type)
IDS = [entry.type for entry in ENTRIES]

REQUIRED_TYPES = {
    "countries": {
        "country-profile-updated",
        "focus-designation-changed",
        "partnership-status-changed",
        "human-rights-risk-assessed",
    },
    "programmes": {
        "programme-registered",
        "programme-approved",
        "programme-status-changed",
        "results-framework-changed",
        "budget-frame-exceeded",
        "review-opened",
        "review-decided",
    },
    "monitoring": {
        "programme-flagged",
        "flag-resolved",
        "indicator-result-recorded",
        "incident-reported",
        "evaluation-recorded",
    },
    "notifications": {"notification-delivered", "delivery-failed"},
}
KEYS = {
    "countries": "countryCode",
    "programmes": "programmeId",
    "monitoring": "programmeId",
    "notifications": "subscriptionId",
}
NL_GOV_TYPE = re.compile(
    r"^nl\.migratiesamenwerking\.(countries|programmes|monitoring|notifications)"
    r"\.[a-z0-9]+(-[a-z0-9]+)*$"
)
#: Irregular past participles allowed as the last word of an event name.
IRREGULAR_PAST = {"withdrawn", "sent", "begun", "taken", "held", "set", "made", "paid"}
CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")
#: Property names that would carry personal data or free text about individuals.
PERSONAL = {
    "name",
    "firstName",
    "lastName",
    "fullName",
    "email",
    "phone",
    "birthDate",
    "dateOfBirth",
    "address",
    "nationality",
    "gender",
    "passportNumber",
    "bsn",
    "personId",
    "comment",
    "comments",
    "note",
    "notes",
    "remarks",
    "narrative",
    "details",
}


# -- schema checks: jsonschema against the draft 2020-12 metaschema -----------

FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
#: The official draft 2020-12 metaschema, closed: a keyword outside its vocabularies (a typo, a
#: draft-07 leftover such as ``definitions``) is an error, ``x-`` extensions aside. Subschemas
#: are checked too: the vocabularies reach them through ``$dynamicRef: "#meta"``. The keywords
#: the metaschema itself declares are the ones it keeps only for older drafts.
CLOSED_METASCHEMA = {
    "$schema": JSON_SCHEMA_DIALECT,
    "$id": "urn:test:taskforce:closed-draft-2020-12",
    "$dynamicAnchor": "meta",
    "$ref": JSON_SCHEMA_DIALECT,
    "properties": {keyword: False for keyword in Draft202012Validator.META_SCHEMA["properties"]},
    "patternProperties": {"^x-": True},
    "unevaluatedProperties": False,
}
CLOSED_METASCHEMA_VALIDATOR = Draft202012Validator(CLOSED_METASCHEMA)


def _subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    """The schema and every subschema in it, as draft 2020-12 defines them."""
    pending = [DRAFT202012.create_resource(schema)]
    while pending:
        resource = pending.pop()
        if isinstance(resource.contents, dict):
            yield resource.contents
        pending.extend(resource.subresources())


def _lookup(document: dict[str, Any], ref: str) -> Any:
    """What a local ``$ref`` in ``document`` points to, resolved the way jsonschema does."""
    resolver = Registry().resolver_with_root(DRAFT202012.create_resource(document))
    return resolver.lookup(ref).contents


def _errors(
    schema: dict[str, Any], instance: Any, document: dict[str, Any] | None = None
) -> list[str]:
    """Errors of ``instance`` against ``schema``; its ``$ref``s point into ``document``."""
    root = Draft202012Validator(document or schema, format_checker=FORMAT_CHECKER)
    validator = root.evolve(schema=schema)
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(instance)]


def _unknown_keywords(schema: dict[str, Any]) -> list[str]:
    errors = CLOSED_METASCHEMA_VALIDATOR.iter_errors(schema)
    return [f"{error.json_path}: {error.message}" for error in errors]


def assert_well_formed(schema: dict[str, Any]) -> None:
    """Valid against the draft 2020-12 metaschema, only its keywords, and sound as published."""
    Draft202012Validator.check_schema(schema)
    assert not _unknown_keywords(schema)
    for node in _subschemas(schema):
        if "$ref" in node:
            _lookup(schema, node["$ref"])
        if "required" in node:
            assert set(node["required"]) <= set(node.get("properties", {}))
        if node.get("type") == "array":
            assert "items" in node


# -- the catalogue -----------------------------------------------------------


def test_catalogue_holds_every_required_type() -> None:
    for service, names in REQUIRED_TYPES.items():
        assert names <= {entry.name for entry in types_of(service)}, service


def test_contracts_package_reexports_every_model() -> None:
    exported = {getattr(contracts, name) for name in contracts.__all__}
    assert {entry.model for entry in ENTRIES} <= exported


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_type_follows_the_nl_gov_profile(entry: EventType) -> None:
    assert NL_GOV_TYPE.match(entry.type)
    assert entry.type == f"nl.migratiesamenwerking.{entry.service}.{entry.name}"
    assert entry.topic == topic_of(entry.service) == f"taskforce.{entry.service}.v1"
    last_word = entry.name.rsplit("-", 1)[-1]
    assert last_word.endswith("ed") or last_word in IRREGULAR_PAST, f"{entry.name}: past tense"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_key_field_is_a_required_property(entry: EventType) -> None:
    assert entry.model.key_field in entry.model.model_fields
    key = key_property(entry)
    assert key == KEYS[entry.service]
    schema = event_schema(entry)
    assert key in schema["required"]
    assert schema["x-kafka-key"] == key


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_json_schema_is_draft_2020_12(entry: EventType) -> None:
    schema = event_schema(entry)
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["$id"] == entry.dataschema
    assert schema["x-cloudevents-type"] == entry.type
    assert schema["x-kafka-topic"] == entry.topic
    assert schema["type"] == "object"
    assert schema["properties"]
    assert_well_formed(schema)
    json.dumps(schema)  # serialisable as is


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_properties_are_camel_case_and_described(entry: EventType) -> None:
    schema = event_schema(entry)
    assert schema.get("description"), "the model docstring becomes the schema description"
    for node in _subschemas(schema):
        for name, prop in node.get("properties", {}).items():
            assert CAMEL_CASE.match(name), name
            assert prop.get("description"), f"{name} has no description"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_no_personal_data_or_unbounded_free_text(entry: EventType) -> None:
    schema = event_schema(entry)
    for node in _subschemas(schema):
        for name, prop in node.get("properties", {}).items():
            assert name not in PERSONAL, name
            if prop.get("type") == "string":
                constrained = {"pattern", "format", "enum", "const", "maxLength"} & set(prop)
                assert constrained, f"{name} is unbounded free text"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_examples_validate_against_model_and_schema(entry: EventType) -> None:
    examples = examples_of(entry.model)
    assert examples, f"{entry.model.__name__} declares no example"
    schema = event_schema(entry)
    for example in examples:
        data = entry.model.model_validate(example)
        assert data.to_data() == example, "examples are written in canonical wire form"
        assert data.aggregate_id() == str(example[key_property(entry)])
        assert _errors(schema, example) == []


def test_the_schema_checker_is_not_vacuous() -> None:
    entry = CATALOGUE["nl.migratiesamenwerking.monitoring.programme-flagged"]
    schema = event_schema(entry)
    good = examples_of(entry.model)[0]
    changes: list[dict[str, Any]] = [
        {"severity": "catastrophic"},
        {"programmeId": "no spaces allowed"},
        {"ruleVersion": 0},
        {"ruleVersion": True},
        {"countryCodes": ["TUN", "TUN"]},
        {"evidence": [{"kind": "incident"}]},
        {"evidence": []},
    ]
    for change in changes:
        assert _errors(schema, {**good, **change}), change
    missing_key = {k: v for k, v in good.items() if k != "programmeId"}
    assert _errors(schema, missing_key)

    programme_id = schema["properties"]["programmeId"]
    broken_schemas: list[dict[str, Any]] = [
        {**schema, "type": "objekt"},
        {**schema, "required": "programmeId"},
        {**schema, "properties": {"programmeId": {**programme_id, "pattern": "(unclosed"}}},
        {**schema, "properties": {"programmeId": {**programme_id, "minLength": -1}}},
        {**schema, "$defs": {"Severity": {"enum": "low"}}},
    ]
    for broken in broken_schemas:
        with pytest.raises(SchemaError):
            Draft202012Validator.check_schema(broken)
    unknown: list[dict[str, Any]] = [{"definitions": {}}, {"additionalProperty": False}]
    for keyword in unknown:
        assert _unknown_keywords({**schema, **keyword}), keyword
    misspelt = {**schema, "properties": {"programmeId": {**programme_id, "maxLenght": 40}}}
    assert _unknown_keywords(misspelt)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_unknown_fields_are_tolerated(entry: EventType) -> None:
    example = {**examples_of(entry.model)[0], "addedInALaterRevision": 1}
    entry.model.model_validate(example)


@pytest.mark.parametrize(
    ("type_", "change"),
    [
        ("countries.focus-designation-changed", {"previousDesignation": "focus"}),
        ("countries.focus-designation-changed", {"designation": "elsewhere"}),
        ("countries.focus-designation-changed", {"weightedScore": 5.5}),
        ("countries.human-rights-risk-assessed", {"countryCode": "XXX"}),
        ("countries.human-rights-risk-assessed", {"countryCode": "tun"}),
        ("countries.human-rights-risk-assessed", {"residualRating": "extreme"}),
        ("countries.human-rights-risk-assessed", {"assessedAt": "2025-09-15T10:00:00"}),
        ("programmes.programme-registered", {"plannedEnd": "2025-01-01"}),
        ("programmes.programme-registered", {"status": 7}),
        ("programmes.programme-registered", {"countryCodes": ["TUN", "TUN"]}),
        ("programmes.programme-approved", {"totalBudgetEur": 1}),
        ("programmes.programme-status-changed", {"status": 2}),
        ("programmes.budget-frame-exceeded", {"excessEur": 1}),
        ("programmes.budget-frame-exceeded", {"committedEur": 60000000, "excessEur": 0}),
        ("programmes.review-opened", {"triggers": []}),
        ("programmes.review-decided", {"decision": "ignore"}),
        ("monitoring.programme-flagged", {"category": "bad"}),
        ("monitoring.programme-flagged", {"evidence": []}),
        ("monitoring.programme-flagged", {"owningOrganisation": "Ministry of A&M"}),
        ("monitoring.flag-resolved", {"reviewId": None}),
        ("monitoring.indicator-result-recorded", {"periodEnd": "2025-12-31"}),
        ("monitoring.incident-reported", {"severity": "catastrophic"}),
        ("monitoring.evaluation-recorded", {"criteria": [{"criterion": "impact", "rating": "x"}]}),
        ("notifications.delivery-failed", {"final": True}),
        ("notifications.notification-delivered", {"httpStatus": 500}),
    ],
)
def test_invariants_are_enforced(type_: str, change: dict[str, Any]) -> None:
    model = CATALOGUE[f"nl.migratiesamenwerking.{type_}"].model
    with pytest.raises(ValidationError):
        model.model_validate({**examples_of(model)[0], **change})


# -- exported files ----------------------------------------------------------


def test_export_writes_one_schema_per_type_and_an_index(tmp_path: Path) -> None:
    written = export_json_schemas(tmp_path / "schemas")
    assert len(written) == len(CATALOGUE) + 1
    assert written[-1].name == INDEX_FILE
    assert sorted(p.name for p in (tmp_path / "schemas").iterdir()) == sorted(
        p.name for p in written
    )
    index = json.loads(written[-1].read_text())
    assert set(index) == set(CATALOGUE)
    for type_, item in index.items():
        entry = CATALOGUE[type_]
        schema = json.loads((tmp_path / "schemas" / item["schema"]).read_text())
        assert item["schema"] == f"{type_}.json"
        assert item["topic"] == entry.topic
        assert item["key"] == key_property(entry)
        assert item["dataschema"] == schema["$id"] == entry.dataschema
        assert item["key"] in schema["properties"]
        assert schema == event_schema(entry)
        Draft202012Validator.check_schema(schema)


# -- AsyncAPI ----------------------------------------------------------------


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _assert_well_formed(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    for ref in _refs(document):
        _lookup(document, ref)
    for section in ("channels", "operations"):
        for key in document[section]:
            assert re.fullmatch(r"[A-Za-z0-9._-]+", key), key
    for section in ("messages", "schemas"):
        for key in document["components"][section]:
            assert re.fullmatch(r"[A-Za-z0-9._-]+", key), key
    for operation in document["operations"].values():
        channel = _lookup(document, operation["channel"]["$ref"])
        for message in operation["messages"]:
            assert message["$ref"].startswith(operation["channel"]["$ref"] + "/messages/")
            assert _lookup(document, message["$ref"]) in channel["messages"].values()


def _message_of(document: dict[str, Any], entry: EventType) -> dict[str, Any]:
    return document["components"]["messages"][entry.type]  # type: ignore[no-any-return]


def _assert_documents_type(document: dict[str, Any], entry: EventType) -> None:
    message = _message_of(document, entry)
    payload = _lookup(document, message["payload"]["$ref"])
    model_schema = entry.model.model_json_schema(by_alias=True)
    assert list(payload["properties"]) == list(model_schema["properties"])
    assert payload["required"] == model_schema["required"]
    assert message["name"] == entry.type
    assert message["contentType"] == "application/json"
    assert message["x-kafka-key"] == key_property(entry)
    assert message["correlationId"]["location"] == "$message.header#/ce_id"
    headers = message["headers"]["allOf"]
    assert (
        _lookup(document, headers[0]["$ref"]) is document["components"]["schemas"][HEADERS_SCHEMA]
    )
    assert headers[1]["properties"]["ce_type"]["const"] == entry.type
    for example in message["examples"]:
        entry.model.model_validate(example["payload"])
        assert example["headers"]["ce_type"] == entry.type
        assert example["headers"]["ce_subject"] == str(example["payload"][key_property(entry)])
        assert not _errors(payload, example["payload"], document)
        assert not _errors({"allOf": headers}, example["headers"], document)


@pytest.mark.parametrize("service", SERVICES)
def test_asyncapi_documents_every_produced_type(service: str) -> None:
    document = asyncapi_document(service)
    _assert_well_formed(document)
    channel = document["channels"][topic_of(service)]
    assert channel["address"] == topic_of(service)
    assert channel["bindings"]["kafka"]["topic"] == topic_of(service)
    for entry in types_of(service):
        assert channel["messages"][entry.name] == {"$ref": f"#/components/messages/{entry.type}"}
        operation = document["operations"][f"send.{entry.type}"]
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": f"#/channels/{topic_of(service)}"}
        _assert_documents_type(document, entry)
    headers = document["components"]["schemas"][HEADERS_SCHEMA]["properties"]
    for name in (
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "ce_sequence",
        "ce_dataschema",
        "content-type",
        "traceparent",
    ):
        assert name in headers
    assert not [op for op in document["operations"].values() if op["action"] == "receive"]


CONSUMED_BY_PROGRAMMES = [
    "nl.migratiesamenwerking.countries.human-rights-risk-assessed",
    "nl.migratiesamenwerking.countries.focus-designation-changed",
    "nl.migratiesamenwerking.monitoring.programme-flagged",
    "nl.migratiesamenwerking.monitoring.flag-resolved",
]


def _programmes_consumer() -> EventConsumer:
    """A consumer wired the way the services wire theirs: one handler per consumed type."""
    consumer = EventConsumer("programmes", PlatformSettings(), async_sessionmaker())

    async def handle(*_: object) -> None: ...

    for type_ in CONSUMED_BY_PROGRAMMES:
        consumer.on(CATALOGUE[type_].model)(handle)
    return consumer


def test_asyncapi_documents_consumed_types_from_the_handler_table() -> None:
    consumer = _programmes_consumer()
    handlers_before = dict(consumer.handlers)
    document = asyncapi_document("programmes", consumer.handlers, consumer.settings)
    _assert_well_formed(document)
    assert consumer.handlers == handlers_before, "the handler table is only read"
    programmes_channels = [
        key for key, c in document["channels"].items() if c["address"] == "taskforce.programmes.v1"
    ]
    assert programmes_channels == ["taskforce.programmes.v1"], "one channel per topic"

    receives = {
        _lookup(document, op["channel"]["$ref"])["address"]: op
        for op in document["operations"].values()
        if op["action"] == "receive"
    }
    assert set(receives) == {"taskforce.countries.v1", "taskforce.monitoring.v1"}
    for topic, operation in receives.items():
        consumed = [CATALOGUE[t] for t in CONSUMED_BY_PROGRAMMES]
        expected = {entry.name for entry in consumed if entry.topic == topic}
        names = {ref["$ref"].rsplit("/", 1)[-1] for ref in operation["messages"]}
        assert names == expected
    for type_ in CONSUMED_BY_PROGRAMMES:
        _assert_documents_type(document, CATALOGUE[type_])
    schemas = document["components"]["schemas"]
    assert not [s for s in schemas.values() if s.get("format") == "binary"], (
        "the raw-bytes payload of the subscribers is replaced, not left beside the real ones"
    )
    # Its own types are still there.
    for entry in types_of("programmes"):
        _assert_documents_type(document, entry)


def test_asyncapi_adds_receive_operations_without_a_broker() -> None:
    document = asyncapi_document(
        "notifications", consumes=["nl.migratiesamenwerking.monitoring.programme-flagged"]
    )
    _assert_well_formed(document)
    operation = document["operations"]["receive.taskforce.monitoring.v1"]
    assert operation["action"] == "receive"
    assert operation["messages"] == [
        {"$ref": "#/channels/taskforce.monitoring.v1/messages/programme-flagged"}
    ]
    flagged = CATALOGUE["nl.migratiesamenwerking.monitoring.programme-flagged"]
    _assert_documents_type(document, flagged)


def test_asyncapi_output_is_stable() -> None:
    """Same catalogue, same bytes: the documents can be diffed and published from CI."""
    first = asyncapi_document("programmes", consumes=CONSUMED_BY_PROGRAMMES)
    second = asyncapi_document("programmes", consumes=CONSUMED_BY_PROGRAMMES)
    assert json.dumps(first) == json.dumps(second)


def test_asyncapi_rejects_unknown_service_and_types() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        asyncapi_document("finance")
    with pytest.raises(ValueError, match="not a catalogued event type"):
        asyncapi_document("programmes", consumes=["nl.migratiesamenwerking.countries.nothing"])


# -- the command line --------------------------------------------------------


def test_cli_list_export_and_asyncapi(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(schemas_cli, ["list"])
    assert listed.exit_code == 0, listed.output
    for entry in ENTRIES:
        line = next(row for row in listed.output.splitlines() if row.startswith(entry.type + " "))
        assert line.split() == [entry.type, entry.topic, key_property(entry)]

    exported = runner.invoke(schemas_cli, ["export", "--out", str(tmp_path / "out")])
    assert exported.exit_code == 0, exported.output
    assert len(exported.output.split()) == len(CATALOGUE) + 1

    printed = runner.invoke(schemas_cli, ["asyncapi", "countries"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout)["channels"]["taskforce.countries.v1"]

    target = tmp_path / "doc" / "monitoring.json"
    written = runner.invoke(
        schemas_cli,
        [
            "asyncapi",
            "monitoring",
            "--consumes",
            "nl.migratiesamenwerking.programmes.review-decided",
            "--out",
            str(target),
        ],
    )
    assert written.exit_code == 0, written.output
    document = json.loads(target.read_text())
    assert "receive.taskforce.programmes.v1" in document["operations"]

    bad = runner.invoke(schemas_cli, ["asyncapi", "finance"])
    assert bad.exit_code == 2

"""IATI 2.03 activity XML, validated against the official XSD with lxml."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from lxml import etree

from services.programmes.api.iati_document import activities_document
from services.programmes.domain.activity import ActivityRecord
from services.programmes.domain.budget import TransactionType
from services.programmes.domain.programme import Share
from services.programmes.domain.results import Baseline, Indicator, ResultType, Target
from shared.contracts.vocabulary import BudgetLine, IndicatorMeasure
from tests.programmes.conftest import YEAR, Service
from tests.programmes.factories import NOW, budget, programme, transaction

#: The official schema, kept with the tests (see data/iati/README.md).
XSD = Path(__file__).parent / "data" / "iati" / "schema" / "iati-activities-schema.xsd"


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def validated(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    xsd = schema()
    assert xsd.validate(root), "\n".join(str(error) for error in xsd.error_log)
    return root


def record() -> ActivityRecord:
    return ActivityRecord(
        programme=programme(
            actual_start=date(2026, 2, 1),
            recipient_countries=(
                Share("TUN", Decimal("33.33")),
                Share("MAR", Decimal("33.33")),
                Share("EGY", Decimal("33.34")),
            ),
            sectors=(Share("15190", Decimal(80)), Share("15136", Decimal(20))),
        ),
        budgets=[
            budget("1000000.00", 2026),
            budget("250000.50", 2026, line=BudgetLine.AM, oda=False),
            budget("2000000", 2027),
        ],
        transactions=[
            transaction("400000.00"),
            transaction("100000.25", TransactionType.DISBURSEMENT, line=BudgetLine.AM, oda=False),
        ],
        indicators=[
            Indicator(
                indicator_id="networks-disrupted",
                title="Smuggling networks disrupted",
                description="Counted with the partner authorities.",
                result_type=ResultType.OUTCOME,
                measure=IndicatorMeasure.UNIT,
                ascending=True,
                baseline=Baseline(2025, Decimal(3)),
                targets=(
                    Target(date(2026, 1, 1), date(2026, 12, 31), Decimal(6)),
                    Target(date(2027, 1, 1), date(2027, 12, 31), Decimal("12.5")),
                ),
            ),
            Indicator(
                indicator_id="dialogue",
                title="Quality of the migration dialogue",
                result_type=ResultType.OUTPUT,
                measure=IndicatorMeasure.QUALITATIVE,
                ascending=True,
                baseline=Baseline(2025),
                targets=(Target(date(2026, 1, 1), date(2026, 12, 31)),),
            ),
        ],
    )


def test_an_activity_validates_and_says_what_the_registry_holds() -> None:
    root = validated(activities_document([record()], NOW))
    assert root.get("version") == "2.03"
    (activity,) = root.findall("iati-activity")
    assert activity.findtext("iati-identifier") == "XM-DAC-7-prg-2026-0001"
    assert activity.get("default-currency") == "EUR"
    assert activity.find("activity-status").get("code") == "2"
    assert [(d.get("type"), d.get("iso-date")) for d in activity.findall("activity-date")] == [
        ("1", "2026-01-01"),
        ("2", "2026-02-01"),
        ("3", "2028-12-31"),
    ]
    assert [
        (c.get("code"), c.get("percentage")) for c in activity.findall("recipient-country")
    ] == [
        ("TN", "33.33"),
        ("MA", "33.33"),
        ("EG", "33.34"),
    ]
    assert [
        (s.get("vocabulary"), s.get("code"), s.get("percentage"))
        for s in activity.findall("sector")
    ] == [
        ("1", "15190", "80"),
        ("1", "15136", "20"),
    ]
    iom = activity.find("participating-org")
    assert iom is not None
    assert (iom.get("role"), iom.get("crs-channel-code"), iom.get("type")) == ("4", "47066", "40")
    budgets = [
        (b.find("period-start").get("iso-date"), b.findtext("value"))
        for b in activity.findall("budget")
    ]
    assert budgets == [("2026-01-01", "1250000.50"), ("2027-01-01", "2000000.00")]
    transactions = activity.findall("transaction")
    assert [t.find("transaction-type").get("code") for t in transactions] == ["2", "3"]
    assert [t.findtext("value") for t in transactions] == ["400000.00", "100000.25"]
    assert [t.find("flow-type").get("code") for t in transactions] == ["10", "50"]
    results = activity.findall("result")
    assert [r.get("type") for r in results] == ["2", "1"]
    indicator = results[0].find("indicator")
    assert indicator is not None
    assert (indicator.get("measure"), indicator.get("ascending")) == ("1", "true")
    assert indicator.find("baseline").attrib == {"year": "2025", "value": "3"}
    targets = [p.find("target").get("value") for p in indicator.findall("period")]
    assert targets == ["6", "12.5"]
    qualitative = results[1].find("indicator")
    assert qualitative is not None and qualitative.get("measure") == "5"
    assert "value" not in qualitative.find("baseline").attrib


def test_element_order_is_what_the_xsd_demands() -> None:
    """Swapping two children must break validation: the test is not vacuous."""
    root = etree.fromstring(activities_document([record()], NOW))
    activity = root.find("iati-activity")
    assert activity is not None
    sector = activity.find("sector")
    country = activity.find("recipient-country")
    assert sector is not None and country is not None
    activity.remove(sector)
    country.addprevious(sector)
    assert not schema().validate(root)


async def test_the_api_serves_valid_iati_xml(service: Service) -> None:
    programme_id = await service.approved()
    await service.client.post(
        f"/v1/programmes/{programme_id}/transactions",
        json={
            "type": "commitment",
            "transactionDate": f"{YEAR}-02-01",
            "budgetLine": "bho",
            "oda": True,
            "amount": "750000",
            "description": "Grant agreement with IOM",
        },
        headers=service.auth(),
    )
    pipeline = await service.create(iatiIdentifier="XM-DAC-7-TF-PIPELINE-EXAMPLE")

    one = await service.client.get(
        f"/v1/programmes/{programme_id}/iati", headers=service.auth("bz", [])
    )
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("application/xml")
    assert one.headers["API-Version"] == "1.0.0"
    root = validated(one.content)
    (activity,) = root.findall("iati-activity")
    assert activity.findtext("iati-identifier") == f"XM-DAC-7-{programme_id}"
    assert len(activity.findall("budget")) == 2
    assert len(activity.findall("transaction")) == 1
    assert len(activity.findall("result")) == 2
    assert {c.get("code") for c in activity.findall("recipient-country")} == {"TN", "MA", "EG"}

    every = await service.client.get("/v1/iati-activities", headers=service.auth("bz", []))
    identifiers = [a.findtext("iati-identifier") for a in validated(every.content)]
    assert f"XM-DAC-7-{programme_id}" in identifiers
    assert "XM-DAC-7-TF-PIPELINE-EXAMPLE" in identifiers
    assert pipeline

    missing = await service.client.get("/v1/programmes/prg-1999-0001/iati", headers=service.auth())
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")

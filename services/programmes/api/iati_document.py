"""Programmes as IATI 2.03 activity XML (``iati-activities``), valid against the official XSD.

The XSD fixes the order of an activity's elements; this module writes them in
that order: identifier, reporting organisation, title, description,
participating organisations, status, dates, recipient countries, sectors,
budgets, transactions, results. Country codes become ISO alpha-2 (the IATI
Country codelist); money is written as exact decimals with ``value-date``.
Budgets are reported per calendar year (the sum of the programme's budget
lines that year), since IATI budgets of one type must not overlap.

One stored record never takes a whole document down: text is written with any
character XML cannot hold replaced by U+FFFD (the API refuses such characters,
but older records may hold them), and an activity that still cannot be written is
left out, logged, and named in a comment where it would have been.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Final

import pycountry
from lxml import etree

from services.programmes.domain import lifecycle
from services.programmes.domain.activity import ActivityRecord
from services.programmes.domain.budget import Transaction, YearBudget
from services.programmes.domain.money import CENT, CURRENCY, total
from services.programmes.domain.programme import Programme
from services.programmes.domain.results import Indicator
from shared.http.times import rfc3339

logger = logging.getLogger(__name__)

IATI_VERSION: Final = "2.03"
MEDIA_TYPE: Final = "application/xml"
_XML_LANG: Final = "{http://www.w3.org/XML/1998/namespace}lang"

#: IATI FlowType: 10 ODA; 50 "other flows" (non-ODA official spending).
FLOW_ODA: Final = "10"
FLOW_NON_ODA: Final = "50"
#: IATI BudgetType 1 original; BudgetStatus 1 indicative, 2 committed.
BUDGET_ORIGINAL: Final = "1"
BUDGET_INDICATIVE: Final = "1"
BUDGET_COMMITTED: Final = "2"
#: IATI Sector vocabulary 1: OECD DAC 5-digit purpose codes.
DAC_5_DIGIT: Final = "1"
#: IATI ActivityDateType.
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"


#: What XML 1.0 cannot hold (its Char production), plus the C1 controls it discourages.
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with every character XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(
        parent, tag, {k.replace("_", "-"): xml_text(v) for k, v in attributes.items()}
    )


def _narrative(parent: etree._Element, tag: str, text: str, **attributes: str) -> etree._Element:
    element = _sub(parent, tag, **attributes)
    etree.SubElement(element, "narrative").text = xml_text(text)
    return element


def _decimal(value: Decimal) -> str:
    """A decimal without exponent or needless trailing zeros: ``50``, ``33.33``."""
    return format(value.normalize(), "f")


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _alpha_2(alpha_3: str) -> str:
    country = pycountry.countries.get(alpha_3=alpha_3)
    if country is None:
        raise ValueError(f"{alpha_3} is not an ISO 3166-1 country")
    return str(country.alpha_2)


def _value(parent: etree._Element, amount: Decimal, value_date: date) -> None:
    element = _sub(parent, "value", currency=CURRENCY, value_date=value_date.isoformat())
    element.text = _money(amount)


def _dates(activity: etree._Element, p: Programme) -> None:
    for kind, day in (
        (PLANNED_START, p.planned_start),
        (ACTUAL_START, p.actual_start),
        (PLANNED_END, p.planned_end),
        (ACTUAL_END, p.actual_end),
    ):
        if day is not None:
            _sub(activity, "activity-date", type=kind, iso_date=day.isoformat())


def _budgets(activity: etree._Element, p: Programme, budgets: Iterable[YearBudget]) -> None:
    status = BUDGET_INDICATIVE if p.status is lifecycle.PIPELINE else BUDGET_COMMITTED
    for year in sorted({b.key.year for b in budgets}):
        amount = total(b.amount for b in budgets if b.key.year == year)
        budget = _sub(activity, "budget", type=BUDGET_ORIGINAL, status=status)
        start = date(year, 1, 1)
        _sub(budget, "period-start", iso_date=start.isoformat())
        _sub(budget, "period-end", iso_date=date(year, 12, 31).isoformat())
        _value(budget, amount, start)


def _transactions(activity: etree._Element, transactions: Iterable[Transaction]) -> None:
    for t in transactions:
        element = _sub(activity, "transaction", ref=str(t.transaction_id))
        _sub(element, "transaction-type", code=str(int(t.type)))
        _sub(element, "transaction-date", iso_date=t.transaction_date.isoformat())
        _value(element, t.amount, t.transaction_date)
        if t.description:
            _narrative(element, "description", t.description)
        _sub(element, "flow-type", code=FLOW_ODA if t.oda else FLOW_NON_ODA)


def _results(activity: etree._Element, indicators: Iterable[Indicator]) -> None:
    for i in indicators:
        result = _sub(activity, "result", type=str(int(i.result_type)))
        _narrative(result, "title", i.title)
        indicator = _sub(
            result, "indicator", measure=str(int(i.measure)), ascending=str(i.ascending).lower()
        )
        _narrative(indicator, "title", i.title)
        if i.description:
            _narrative(indicator, "description", i.description)
        if i.baseline is not None:
            baseline = _sub(indicator, "baseline", year=str(i.baseline.year))
            if i.baseline.value is not None:
                baseline.set("value", _decimal(i.baseline.value))
        for t in i.targets:
            period = _sub(indicator, "period")
            _sub(period, "period-start", iso_date=t.period_start.isoformat())
            _sub(period, "period-end", iso_date=t.period_end.isoformat())
            target = _sub(period, "target")
            if t.value is not None:
                target.set("value", _decimal(t.value))


def activity_element(record: ActivityRecord) -> etree._Element:
    """One ``iati-activity``, children in the order the XSD demands."""
    p = record.programme
    activity = etree.Element(
        "iati-activity",
        {
            "last-updated-datetime": rfc3339(p.updated_at),
            _XML_LANG: "en",
            "default-currency": CURRENCY,
        },
    )
    etree.SubElement(activity, "iati-identifier").text = xml_text(p.iati_identifier)
    reporting = p.reporting_organisation
    _narrative(activity, "reporting-org", reporting.name, ref=reporting.ref, type=reporting.type)
    _narrative(activity, "title", p.title)
    _narrative(activity, "description", p.description, type="1")
    for org in p.participating_organisations:
        attributes = {"role": str(int(org.role))}
        if org.ref:
            attributes["ref"] = org.ref
        if org.type:
            attributes["type"] = org.type
        if org.crs_channel_code:
            attributes["crs_channel_code"] = org.crs_channel_code
        _narrative(activity, "participating-org", org.name, **attributes)
    _sub(activity, "activity-status", code=str(int(p.status)))
    _dates(activity, p)
    for share in p.recipient_countries:
        _sub(
            activity,
            "recipient-country",
            code=_alpha_2(share.code),
            percentage=_decimal(share.percentage),
        )
    for share in p.sectors:
        _sub(
            activity,
            "sector",
            vocabulary=DAC_5_DIGIT,
            code=share.code,
            percentage=_decimal(share.percentage),
        )
    _budgets(activity, p, record.budgets)
    _transactions(activity, record.transactions)
    _results(activity, record.indicators)
    return activity


def activities_document(
    records: Iterable[ActivityRecord], generated: datetime, *, note: str | None = None
) -> bytes:
    """An ``iati-activities`` document holding one activity per record.

    IATI requires at least one activity in a file; with no programmes the
    document is well-formed but empty, and says so in a comment. ``note`` (e.g.
    which page of the registry this is) becomes a comment at the top.
    """
    root = etree.Element(
        "iati-activities",
        {"version": IATI_VERSION, "generated-datetime": rfc3339(generated)},
    )
    if note:
        root.append(etree.Comment(f" {_comment_text(note)} "))
    count = seen = 0
    for record in records:
        seen += 1
        try:
            element = activity_element(record)
        except (ValueError, TypeError) as exc:
            # One record the writer cannot express must not take every other one down.
            programme_id = record.programme.programme_id
            logger.error("IATI export: programme %s left out: %s", programme_id, type(exc).__name__)
            root.append(
                etree.Comment(f" programme {_comment_text(programme_id)} could not be written ")
            )
            continue
        root.append(element)
        count += 1
    if seen == 0 and note is None:
        root.append(etree.Comment(" no programmes are registered yet "))
    elif count == 0:
        root.append(etree.Comment(" no activities in this document "))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _comment_text(text: str) -> str:
    """Text safe inside an XML comment: XML characters only, no ``--``."""
    return xml_text(text).replace("--", "- -")

"""The codelists kept in the service are the official IATI ones (active codes)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from services.programmes.domain.codelists import (
    CRS_CHANNEL_CODES,
    DAC_SECTOR_CODES,
    MIGRATION_SECTOR,
)

#: The official codelists, kept with the tests (see data/iati/README.md).
CODELISTS = Path(__file__).parent / "data" / "iati" / "codelists"


def active_codes(name: str) -> frozenset[str]:
    tree = etree.parse(str(CODELISTS / f"{name}.xml"))
    return frozenset(
        str(item.findtext("code"))
        for item in tree.iter("codelist-item")
        if item.get("status", "active") != "withdrawn"
    )


def test_sectors_are_the_active_dac_5_digit_codes() -> None:
    assert active_codes("Sector") == DAC_SECTOR_CODES
    assert MIGRATION_SECTOR in DAC_SECTOR_CODES


def test_channels_are_the_active_crs_channel_codes() -> None:
    assert active_codes("CRSChannelCode") == CRS_CHANNEL_CODES
    assert {"47066", "41121", "41128"} <= CRS_CHANNEL_CODES  # IOM, UNHCR, UNODC

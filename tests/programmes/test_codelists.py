"""The codelists kept in the service are the official IATI ones (active codes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from services.programmes.domain.codelists import (
    CRS_CHANNEL_CODES,
    DAC_SECTOR_CODES,
    MIGRATION_SECTOR,
)

ROOT = Path(__file__).resolve().parents[2]
CODELISTS = ROOT.parent / "shared" / "reference" / "iati" / "codelists"


def active_codes(name: str) -> frozenset[str]:
    path = CODELISTS / f"{name}.xml"
    if not path.exists():
        pytest.skip(f"{path} is not available")
    tree = etree.parse(str(path))
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

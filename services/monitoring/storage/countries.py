"""Recipient countries' residual human-rights risk, kept from ``taskforce.countries.v1``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.country_risk import CountryRisk
from services.monitoring.storage.tables import CountryRiskRow


async def risk_of(session: AsyncSession, country_code: str) -> CountryRisk | None:
    """The country's latest assessment monitoring holds, if any."""
    row = await session.get(CountryRiskRow, country_code)
    if row is None:
        return None
    return CountryRisk(row.country_code, row.residual_rating, row.assessment_id, row.assessed_at)


async def save_risk(session: AsyncSession, risk: CountryRisk) -> None:
    """Make ``risk`` the country's latest assessment."""
    row = await session.get(CountryRiskRow, risk.country_code)
    if row is None:
        row = CountryRiskRow(country_code=risk.country_code)
        session.add(row)
    row.residual_rating = risk.residual
    row.assessment_id = risk.assessment_id
    row.assessed_at = risk.assessed_at
    await session.flush()

"""Configuration of the programmes service (environment prefix ``TASKFORCE_PROGRAMMES_``).

The taskforce budget frame is configuration, not data: finance sets it per year,
budget line and ODA flag, e.g.
``TASKFORCE_PROGRAMMES_BUDGET_FRAME='[{"year": 2029, "budgetLine": "am", "oda": false,
"amountEur": 40000000}, ...]'`` (the whole frame; cells left out frame nothing).

The default follows the seed letter: rising to EUR 118 million a year in 2029,
from BHO (development cooperation) and A&M, ODA and non-ODA. The split over
budget lines and ODA/non-ODA, and the ramp from 2025 to 2028, are
ILLUSTRATIVE: the letter gives the 2029 total only.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.programmes.domain.budget import BudgetKey
from services.programmes.domain.frame import BudgetFrame, FrameCell, check_frame_cells
from services.programmes.domain.reviews import ReviewPolicy
from shared.contracts.vocabulary import BudgetLine


class FrameCellSetting(BaseModel):
    """One cell of the frame as configured: whole euros for a year, budget line and ODA flag."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    year: int = Field(ge=2000, le=2100)
    budget_line: BudgetLine
    oda: bool
    amount_eur: int = Field(ge=0)


def _cells(year: int, bho_oda: int, am_oda: int, am_non_oda: int) -> list[FrameCellSetting]:
    return [
        FrameCellSetting(year=year, budget_line=BudgetLine.BHO, oda=True, amount_eur=bho_oda),
        FrameCellSetting(year=year, budget_line=BudgetLine.AM, oda=True, amount_eur=am_oda),
        FrameCellSetting(year=year, budget_line=BudgetLine.AM, oda=False, amount_eur=am_non_oda),
    ]


M = 1_000_000

#: ILLUSTRATIVE split and ramp; only the 2029 total of EUR 118 million is from the seed.
DEFAULT_FRAME: list[FrameCellSetting] = [
    *_cells(2025, 25 * M, 8 * M, 17 * M),  # 50 M
    *_cells(2026, 34 * M, 10 * M, 24 * M),  # 68 M
    *_cells(2027, 43 * M, 13 * M, 29 * M),  # 85 M
    *_cells(2028, 51 * M, 15 * M, 34 * M),  # 100 M
    *_cells(2029, 60 * M, 18 * M, 40 * M),  # 118 M
]


class ProgrammesSettings(BaseSettings):
    """What a deployment may set for the programmes service."""

    model_config = SettingsConfigDict(env_prefix="TASKFORCE_PROGRAMMES_", extra="ignore")

    budget_frame: list[FrameCellSetting] = Field(default_factory=lambda: list(DEFAULT_FRAME))

    #: The IATI publisher of the activities (Netherlands Ministry of Foreign Affairs).
    reporting_org_ref: str = "XM-DAC-7"
    reporting_org_type: str = "10"
    reporting_org_name: str = "Ministry of Foreign Affairs of the Netherlands"

    review_due_days: int = Field(default=30, ge=1)
    critical_review_due_days: int = Field(default=14, ge=1)

    def frame(self) -> BudgetFrame:
        cells = [
            FrameCell(BudgetKey(c.year, c.budget_line, c.oda), Decimal(c.amount_eur))
            for c in self.budget_frame
        ]
        check_frame_cells(cells)
        return BudgetFrame(tuple(cells))

    def review_policy(self) -> ReviewPolicy:
        return ReviewPolicy(self.review_due_days, self.critical_review_due_days)

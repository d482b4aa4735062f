"""A programme as monitoring knows it: from the programmes topic, never edited here.

Every programmes event carries the programme's routing fields (owner,
participating organisations, recipient countries, themes), so each one
refreshes them, and monitoring's own events carry them on. The status is the
IATI activity status last announced; approval starts implementation. The plan
revision is the results-framework revision the monitoring plan holds (0: none
yet); a plan is only ever replaced by one at least as new, so a replay from the
start rebuilds the same model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shared.contracts.vocabulary import ACTIVE_STATUSES, ActivityStatus


@dataclass(frozen=True)
class Announcement:
    """What a programmes event says of its programme: the routing fields, the status if any."""

    programme_id: str
    owning_organisation: str
    partner_organisations: tuple[str, ...]
    country_codes: tuple[str, ...]
    themes: tuple[str, ...]
    status: ActivityStatus | None = None


@dataclass(frozen=True)
class Programme:
    programme_id: str
    owning_organisation: str
    partner_organisations: tuple[str, ...]
    country_codes: tuple[str, ...]
    themes: tuple[str, ...]
    status: ActivityStatus | None
    plan_revision: int

    @classmethod
    def first_announced(cls, news: Announcement) -> Programme:
        """A programme monitoring hears of for the first time: no status, no plan yet."""
        return cls(news.programme_id, "", (), (), (), None, 0).announced(news)

    def announced(self, news: Announcement) -> Programme:
        """The programme with the routing fields ``news`` carries (and its status, if said)."""
        return replace(
            self,
            owning_organisation=news.owning_organisation,
            partner_organisations=news.partner_organisations,
            country_codes=news.country_codes,
            themes=news.themes,
            status=self.status if news.status is None else news.status,
        )

    def approved(self) -> Programme:
        """Approval starts implementation, unless the programme is already further along."""
        if self.status is None or self.status == ActivityStatus.PIPELINE:
            return replace(self, status=ActivityStatus.IMPLEMENTATION)
        return self

    def takes_plan(self, revision: int) -> bool:
        """True when a plan of ``revision`` replaces the one held (an older one changes nothing)."""
        return revision >= self.plan_revision

    def with_plan(self, revision: int) -> Programme:
        return replace(self, plan_revision=revision)

    @property
    def planned(self) -> bool:
        """True once a results framework has reached monitoring."""
        return self.plan_revision != 0

    @property
    def active(self) -> bool:
        """True while the programme still acts in its countries (the risk rule flags it)."""
        return self.status in ACTIVE_STATUSES

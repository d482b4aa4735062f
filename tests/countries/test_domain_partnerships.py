"""Partnership rules: the transition table, opening, content rules, merge patches."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest

from services.countries.domain.base import merge
from services.countries.domain.partnerships import (
    OPENING_STATUSES,
    TRANSITIONS,
    DevelopmentTheme,
    PartnershipContent,
    RelationLever,
    changed_fields,
    check_content,
    check_opening,
    check_patch,
    check_transition,
)
from shared.contracts.vocabulary import PartnershipKind, PartnershipStatus, Theme

S = PartnershipStatus
ALLOWED = {
    (S.EXPLORING, S.ACTIVE),
    (S.EXPLORING, S.ENDED),
    (S.ACTIVE, S.PAUSED),
    (S.ACTIVE, S.ENDED),
    (S.PAUSED, S.ACTIVE),
    (S.PAUSED, S.ENDED),
}
SINCE = date(2025, 7, 1)


def content(**changes: object) -> PartnershipContent:
    values: dict[str, object] = {
        "title": "Return cooperation",
        "kind": PartnershipKind.BILATERAL,
        "themes": (Theme.RETURN_COOPERATION,),
        "lead_organisation": "am",
        "participating_organisations": ("dtv", "kmar"),
    }
    values.update(changes)
    return PartnershipContent.model_validate(values)


@pytest.mark.parametrize(("current", "new"), list(product(S, S)))
def test_the_transition_table(current: S, new: S) -> None:
    violations = check_transition(current, SINCE, new, SINCE)
    assert (not violations) == ((current, new) in ALLOWED)
    assert (new in TRANSITIONS[current]) == ((current, new) in ALLOWED)
    if violations:
        assert [v.field for v in violations] == ["status"]


def test_an_ended_track_stays_ended() -> None:
    assert TRANSITIONS[S.ENDED] == frozenset()
    reason = check_transition(S.ENDED, SINCE, S.ACTIVE, SINCE)[0].reason
    assert "has ended" in reason


def test_a_status_change_does_not_take_effect_before_the_current_status() -> None:
    violations = check_transition(S.ACTIVE, SINCE, S.PAUSED, date(2025, 6, 30))
    assert [v.field for v in violations] == ["effectiveFrom"]
    assert check_transition(S.ACTIVE, SINCE, S.PAUSED, SINCE) == []


def test_a_track_opens_exploring_or_active() -> None:
    assert {S.EXPLORING, S.ACTIVE} == OPENING_STATUSES
    assert check_opening(S.EXPLORING) == check_opening(S.ACTIVE) == []
    assert [v.field for v in check_opening(S.PAUSED)] == ["status"]
    assert [v.field for v in check_opening(S.ENDED)] == ["status"]


def test_the_lead_is_not_also_a_participant() -> None:
    violations = check_content(content(participating_organisations=("dtv", "am")))
    assert [v.field for v in violations] == ["participatingOrganisations[1]"]


def test_development_themes_need_the_development_lever() -> None:
    themes = (DevelopmentTheme.WATER,)
    assert [v.field for v in check_content(content(development_themes=themes))] == [
        "developmentThemes"
    ]
    levers = (RelationLever.DEVELOPMENT_COOPERATION,)
    assert check_content(content(development_themes=themes, levers=levers)) == []


def test_lists_hold_each_value_once() -> None:
    violations = check_content(content(levers=(RelationLever.TRADE, RelationLever.TRADE)))
    assert [v.field for v in violations] == ["levers[1]"]


def test_unknown_organisations_are_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="registry"):
        content(lead_organisation="nobody")
    with pytest.raises(ValueError, match="registry"):
        content(participating_organisations=("ind", "unknown-agency"))


def test_a_merge_patch_replaces_clears_and_keeps() -> None:
    before = content(description="Text")
    after = merge(
        before, {"themes": (Theme.RETURN_COOPERATION, Theme.PROTECTION), "description": None}
    )
    assert after.themes == (Theme.RETURN_COOPERATION, Theme.PROTECTION)
    assert after.description is None
    assert after.participating_organisations == before.participating_organisations
    assert changed_fields(before, after) == ["themes", "description"]
    assert changed_fields(before, merge(before, {"title": before.title})) == []


def test_required_fields_cannot_be_cleared() -> None:
    violations = check_patch({"title": None, "description": None, "themes": None})
    assert [v.field for v in violations] == ["title", "themes"]


def test_a_merge_patch_names_only_content_fields() -> None:
    with pytest.raises(ValueError):
        merge(content(), {"status": S.ACTIVE})

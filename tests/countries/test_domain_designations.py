"""Focus designation rules: weighted score, complete scoring, decision dates, revision, ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.countries.domain.designations import (
    CRITERIA,
    CriterionScore,
    Decision,
    DecisionKind,
    Weights,
    check_decision,
    check_scores,
    check_weights,
    kind_of,
    rank,
    review_overdue,
    weighted_score,
)
from shared.contracts.vocabulary import Designation
from shared.contracts.vocabulary import DesignationCriterion as C

TODAY = date(2026, 6, 1)


def scores(transit: int, origin: int, bilateral: int, added: int) -> tuple[CriterionScore, ...]:
    values = dict(zip(CRITERIA, (transit, origin, bilateral, added), strict=True))
    return tuple(
        CriterionScore(criterion=c, score=s, rationale="Because.") for c, s in values.items()
    )


def decision(
    code: str,
    designation: Designation,
    given: tuple[CriterionScore, ...],
    *,
    decided_on: date = date(2026, 1, 15),
    review_date: date | None = date(2027, 1, 15),
) -> Decision:
    return Decision(
        id=uuid4(),
        country_code=code,
        designation=designation,
        previous_designation=Designation.NONE,
        decided_on=decided_on,
        decided_by="am",
        scores=given,
        weights=Weights(),
        weighted_score=weighted_score(given, Weights()),
        review_date=review_date,
        summary=None,
        recorded_at=datetime(2026, 1, 15, tzinfo=UTC),
        recorded_by="am",
    )


def test_the_criteria_are_the_four_of_the_letter_in_order() -> None:
    assert CRITERIA == (
        C.TRANSIT_COUNTRY,
        C.COUNTRY_OF_ORIGIN,
        C.BILATERAL_SCOPE,
        C.ADDED_VALUE_OVER_EU,
    )


def test_equal_weights_give_the_mean() -> None:
    assert weighted_score(scores(5, 4, 3, 3), Weights()) == 3.75


def test_weights_shift_the_score_but_keep_it_on_the_0_to_5_scale() -> None:
    weights = Weights(
        transit_country=3, country_of_origin=1, bilateral_scope=0, added_value_over_eu=0
    )
    assert weighted_score(scores(5, 1, 0, 0), weights) == 4.0  # (3*5 + 1*1) / 4
    assert weighted_score(scores(5, 5, 5, 5), Weights(transit_country=10)) == 5.0
    assert weighted_score(scores(0, 0, 0, 0), Weights(transit_country=10)) == 0.0


def test_the_weighted_score_is_rounded_to_two_decimals() -> None:
    assert (
        weighted_score(scores(1, 0, 0, 0), Weights(transit_country=1, country_of_origin=2)) == 0.2
    )
    assert weighted_score(scores(2, 0, 0, 0), Weights()) == 0.5
    assert (
        weighted_score(scores(1, 1, 0, 0), Weights(bilateral_scope=1, added_value_over_eu=0))
        == 0.67
    )


def test_weights_map_to_their_criteria() -> None:
    weights = Weights(
        transit_country=1, country_of_origin=2, bilateral_scope=3, added_value_over_eu=4
    )
    assert [weights.of(c) for c in CRITERIA] == [1, 2, 3, 4]
    assert weights.total == 10
    assert check_weights(weights) == []
    zero = Weights(transit_country=0, country_of_origin=0, bilateral_scope=0, added_value_over_eu=0)
    assert [v.field for v in check_weights(zero)] == ["weights"]


def test_every_criterion_is_scored_exactly_once() -> None:
    assert check_scores(scores(1, 2, 3, 4)) == []
    given = scores(1, 2, 3, 4)
    missing = check_scores(given[:2])
    assert [v.field for v in missing] == ["scores"]
    assert "bilateral-scope" in missing[0].reason and "added-value-over-eu" in missing[0].reason
    twice = check_scores((*given, given[0]))
    assert [v.field for v in twice] == ["scores[4].criterion"]


def test_a_decision_is_not_in_the_future_and_its_review_comes_after_it() -> None:
    def fields(**kwargs: object) -> list[str]:
        arguments: dict[str, object] = {
            "designation": Designation.FOCUS,
            "decided_on": TODAY,
            "review_date": date(2027, 6, 1),
            "today": TODAY,
            "current": None,
        }
        arguments.update(kwargs)
        return [v.field for v in check_decision(**arguments)]  # type: ignore[arg-type]

    assert fields() == []
    assert fields(decided_on=date(2026, 6, 2)) == ["decidedOn"]
    assert fields(review_date=TODAY) == ["reviewDate"]
    assert fields(review_date=None) == ["reviewDate"]
    assert fields(designation=Designation.WATCH, review_date=None) == ["reviewDate"]
    assert fields(designation=Designation.NONE, review_date=None) == []
    current = decision("MAR", Designation.WATCH, scores(1, 1, 1, 1), decided_on=date(2026, 3, 1))
    assert fields(current=current, decided_on=date(2026, 2, 28)) == ["decidedOn"]
    assert fields(current=current, decided_on=date(2026, 3, 1)) == []


def test_a_decision_that_keeps_the_designation_is_a_review_else_a_change() -> None:
    assert kind_of(Designation.NONE, Designation.FOCUS) is DecisionKind.CHANGE
    assert kind_of(Designation.FOCUS, Designation.NONE) is DecisionKind.CHANGE  # withdrawal
    assert kind_of(Designation.FOCUS, Designation.WATCH) is DecisionKind.CHANGE
    assert kind_of(Designation.FOCUS, Designation.FOCUS) is DecisionKind.REVIEW
    assert kind_of(Designation.NONE, Designation.NONE) is DecisionKind.REVIEW


def test_a_review_is_overdue_only_after_its_date() -> None:
    assert not review_overdue(TODAY, TODAY)
    assert review_overdue(date(2026, 5, 31), TODAY)
    assert not review_overdue(None, TODAY)


def test_ranking_is_by_weighted_score_highest_first() -> None:
    ranked = rank(
        [
            decision("EGY", Designation.WATCH, scores(3, 2, 3, 2)),  # 2.5
            decision("MAR", Designation.FOCUS, scores(4, 5, 4, 4)),  # 4.25
            decision("TUN", Designation.FOCUS, scores(5, 3, 4, 4)),  # 4.0
        ],
        Weights(),
    )
    assert [(r.rank, r.decision.country_code, r.weighted_score) for r in ranked] == [
        (1, "MAR", 4.25),
        (2, "TUN", 4.0),
        (3, "EGY", 2.5),
    ]


def test_other_weights_rerank_without_touching_the_decisions() -> None:
    mar = decision("MAR", Designation.FOCUS, scores(2, 5, 4, 4))
    tun = decision("TUN", Designation.FOCUS, scores(5, 2, 4, 4))
    transit_first = Weights(transit_country=5)
    assert [r.decision.country_code for r in rank([mar, tun], Weights(country_of_origin=5))] == [
        "MAR",
        "TUN",
    ]
    assert [r.decision.country_code for r in rank([mar, tun], transit_first)] == ["TUN", "MAR"]
    assert mar.weighted_score == tun.weighted_score == 3.75  # as recorded


def test_equal_scores_share_a_rank_focus_first_then_code() -> None:
    same = scores(3, 3, 3, 3)
    ranked = rank(
        [
            decision("TUR", Designation.WATCH, same),
            decision("JOR", Designation.FOCUS, same),
            decision("DZA", Designation.WATCH, same),
            decision("UGA", Designation.FOCUS, scores(1, 1, 1, 1)),
            decision("LBY", Designation.FOCUS, scores(5, 5, 5, 5)),
        ],
        Weights(),
    )
    assert [(r.rank, r.decision.country_code) for r in ranked] == [
        (1, "LBY"),
        (2, "JOR"),
        (2, "DZA"),
        (2, "TUR"),
        (5, "UGA"),
    ]


def test_an_empty_ranking_is_empty() -> None:
    assert rank([], Weights()) == []


@pytest.mark.parametrize("value", [-1, 6])
def test_scores_are_0_to_5(value: int) -> None:
    with pytest.raises(ValueError):
        CriterionScore(criterion=C.TRANSIT_COUNTRY, score=value, rationale="x")

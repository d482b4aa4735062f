"""Do-no-harm rules: rating bands, the derived residual rating, item and date rules, overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.countries.domain.risk import (
    RiskItem,
    categories_of_concern,
    check_dates,
    check_items,
    inherent_rating,
    is_overdue,
    rating_for,
    residual_rating,
)
from shared.contracts.vocabulary import RiskCategory, RiskRating


def item(
    likelihood: int,
    impact: int,
    residual_likelihood: int | None = None,
    residual_impact: int | None = None,
    *,
    category: RiskCategory = RiskCategory.DETENTION_CONDITIONS,
    mitigation: str | None = "Independent monitoring of facilities.",
) -> RiskItem:
    return RiskItem(
        category=category,
        likelihood=likelihood,
        impact=impact,
        residual_likelihood=likelihood if residual_likelihood is None else residual_likelihood,
        residual_impact=impact if residual_impact is None else residual_impact,
        mitigation=mitigation,
    )


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (1, RiskRating.LOW),
        (4, RiskRating.LOW),
        (5, RiskRating.MEDIUM),
        (9, RiskRating.MEDIUM),
        (10, RiskRating.HIGH),
        (16, RiskRating.HIGH),
        (17, RiskRating.VERY_HIGH),
        (20, RiskRating.VERY_HIGH),
        (25, RiskRating.VERY_HIGH),
    ],
)
def test_scores_band_into_ratings(score: int, rating: RiskRating) -> None:
    assert rating_for(score) is rating


@pytest.mark.parametrize("score", [0, 26, -1])
def test_a_score_outside_1_to_25_is_refused(score: int) -> None:
    with pytest.raises(ValueError):
        rating_for(score)


def test_every_product_of_the_scales_has_a_band() -> None:
    ratings = {rating_for(lik * imp) for lik in range(1, 6) for imp in range(1, 6)}
    assert ratings == set(RiskRating)


def test_the_worst_residual_item_governs_the_rating() -> None:
    items = [item(2, 2), item(5, 5, 4, 5), item(1, 1)]  # residual 4, 20, 1
    assert residual_rating(items) is RiskRating.VERY_HIGH
    assert inherent_rating(items) is RiskRating.VERY_HIGH


def test_many_small_risks_are_not_averaged_into_a_big_one_or_a_big_one_away() -> None:
    small = [item(2, 2, category=c) for c in RiskCategory]  # each 4: low
    assert residual_rating(small) is RiskRating.LOW
    assert residual_rating([*small, item(4, 4)]) is RiskRating.HIGH


def test_mitigation_lowers_the_residual_rating_below_the_inherent_one() -> None:
    items = [item(5, 4, 2, 3)]  # 20 before, 6 after
    assert inherent_rating(items) is RiskRating.VERY_HIGH
    assert residual_rating(items) is RiskRating.MEDIUM
    assert items[0].inherent_score == 20 and items[0].residual_score == 6


def test_categories_of_concern_are_medium_or_above_after_mitigation_in_vocabulary_order() -> None:
    items = [
        item(5, 5, 3, 3, category=RiskCategory.TRAFFICKING),  # 9: medium
        item(4, 4, 1, 2, category=RiskCategory.REFOULEMENT),  # 2: low
        item(3, 2, category=RiskCategory.DETENTION_CONDITIONS),  # 6: medium
        item(3, 3, category=RiskCategory.TRAFFICKING),  # again
    ]
    assert categories_of_concern(items) == (
        RiskCategory.DETENTION_CONDITIONS,
        RiskCategory.TRAFFICKING,
    )


def test_mitigation_cannot_raise_a_risk() -> None:
    violations = check_items([item(2, 3, 3, 4)])
    assert {v.field for v in violations} == {
        "items[0].residualLikelihood",
        "items[0].residualImpact",
    }


def test_a_lowered_risk_names_its_mitigation() -> None:
    assert [v.field for v in check_items([item(3, 3), item(4, 4, 2, 2, mitigation=" ")])] == [
        "items[1].mitigation"
    ]
    assert check_items([item(4, 4, 2, 2), item(3, 3, mitigation=None)]) == []


NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_assessment_dates_follow_the_clock_and_each_other() -> None:
    ok = check_dates(
        assessed_at=datetime(2026, 5, 1, tzinfo=UTC),
        next_review_date=date(2026, 11, 1),
        now=NOW,
        latest_in_scope=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert ok == []
    future = check_dates(
        assessed_at=datetime(2026, 7, 1, tzinfo=UTC),
        next_review_date=date(2027, 1, 1),
        now=NOW,
        latest_in_scope=None,
    )
    assert [v.field for v in future] == ["assessedAt"]
    backwards = check_dates(
        assessed_at=datetime(2026, 5, 1, tzinfo=UTC),
        next_review_date=date(2026, 5, 1),
        now=NOW,
        latest_in_scope=datetime(2026, 5, 2, tzinfo=UTC),
    )
    assert [v.field for v in backwards] == ["assessedAt", "nextReviewDate"]


def test_overdue_means_current_and_past_the_review_date() -> None:
    review = date(2026, 6, 1)
    assert not is_overdue(review, date(2026, 6, 1), current=True)
    assert is_overdue(review, date(2026, 6, 2), current=True)
    assert not is_overdue(review, date(2026, 6, 2), current=False)

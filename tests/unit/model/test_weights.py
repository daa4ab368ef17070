"""transforms.model.weights: kind weight x exponential decay within a window, each factor switchable; by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from influence.config import KindWeights
from influence.tables import INTERACTION_KINDS
from transforms.model.weights import with_model_weights

RUN_DATE = dt.date(2024, 3, 10)  # the night ends 2024-03-11 00:00 UTC
SCHEMA = "interaction_id string, kind string, occurred_at timestamp, weight double, run_date date"
ROWS = [
    ("now", "reshare", dt.datetime(2024, 3, 11, 0, 0), 1.0, RUN_DATE),  # age 0
    ("one_half_life", "reshare", dt.datetime(2024, 2, 10, 0, 0), 1.0, RUN_DATE),  # age 30 days
    ("two_half_lives", "mention", dt.datetime(2024, 1, 11, 0, 0), 2.0, RUN_DATE),  # age 60 days, source weight 2
    ("untimed", "like", None, 1.0, dt.date(2024, 3, 9)),  # landed the night before: age 1 day
    ("too_old", "reply", dt.datetime(2023, 12, 12, 0, 0), 1.0, RUN_DATE),  # age 90 days: outside the window
    ("future", "quote", dt.datetime(2024, 3, 12, 0, 0), 1.0, RUN_DATE),  # after the night: age 0, not negative
    ("later_night", "reshare", dt.datetime(2024, 3, 9, 0, 0), 1.0, dt.date(2024, 3, 11)),  # landed after the run date
]


def weights(spark, **settings):
    frame = spark.createDataFrame(ROWS, SCHEMA)
    return {row.interaction_id: row.weight for row in with_model_weights(frame, RUN_DATE, **settings).collect()}


def test_kind_weights_decay_and_window_by_hand(spark):
    got = weights(spark, window_days=90, half_life_days=30.0, kind_weights=vars(KindWeights()))
    assert got == pytest.approx(
        {
            "now": 1.0,
            "one_half_life": 0.5,
            "two_half_lives": 2.0 * 0.5 * 0.25,  # source weight x mention 0.5 x two half-lives
            "untimed": 0.25 * 0.5 ** (1 / 30),
            "future": 1.0,
        },
        rel=1e-12,
    )


def test_everything_switched_off_keeps_the_source_weight(spark):
    got = weights(spark, window_days=0, half_life_days=0.0, kind_weights=None)
    assert got == {"now": 1.0, "one_half_life": 1.0, "two_half_lives": 2.0, "untimed": 1.0, "too_old": 1.0, "future": 1.0}


def test_every_interaction_kind_has_a_configured_weight():
    assert set(vars(KindWeights())) == set(INTERACTION_KINDS)


def test_a_kind_without_weight_is_an_error_not_a_default(spark):
    # which unweighted row a task meets first depends on partitioning: any of them names its kind
    with pytest.raises(Exception, match="no kind weight for kind (reshare|like|reply|quote)"):
        weights(spark, window_days=0, half_life_days=0.0, kind_weights={"mention": 1.0})

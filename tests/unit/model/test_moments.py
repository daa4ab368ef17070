"""Moments in time (transforms/model/moments.py), worked by hand: a burst is found on its day with its
baseline and surprise, steady engagement is never a moment, and the evidence is the day's heaviest
interactions."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from transforms.model.moments import to_moment_days

RUN_DATE = dt.date(2012, 7, 10)
SCHEMA = (
    "interaction_id string, network string, actor_person string, target_person string, kind string, "
    "occurred_at timestamp, weight double, target_post_id string"
)


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2012, 7, day, hour)


def moment_days(spark, rows, **settings):
    persons = spark.createDataFrame(rows, SCHEMA)
    options = {"min_engagers": 3, "min_surprise": 3.0, "top": 3} | settings
    found = to_moment_days(persons, RUN_DATE, **options).collect()
    return {row.id: row.moment_days for row in found}


def test_a_hand_made_burst_is_found_on_its_day_and_steady_engagement_is_not(spark):
    rows = []
    # t: one reader a day from 1 to 10 July, then 12 distinct persons on 7 July
    for day in range(1, 11):
        rows.append((f"r{day}", "snap", "snap:reader", "snap:t", "reshare", at(day), 1.0, None))
    for n in range(12):
        rows.append((f"b{n}", "snap", f"snap:fan{n}", "snap:t", "mention" if n % 2 else "reshare", at(7, 8), 1.0 + n, None))
    # s: five persons every day of the window: a lot, but the person's normal
    for day in range(1, 11):
        for n in range(5):
            rows.append((f"s{day}-{n}", "snap", f"snap:reg{n}", "snap:s", "reshare", at(day), 1.0, None))
    found = moment_days(spark, rows)

    assert set(found) == {"snap:t"}
    [moment] = found["snap:t"]
    # 10 days in the window (1 to 10 July); engager-days 9 x 1 + 13 on the 7th (12 fans and the reader)
    baseline = (9 * 1 + 13 - 13) / (10 - 1)
    assert (moment.day, moment.engagers, moment.interactions) == (dt.date(2012, 7, 7), 13, 13)
    assert moment.baseline == pytest.approx(baseline)
    assert moment.surprise == pytest.approx((13 - baseline) / math.sqrt(baseline + 1))
    # the evidence: the day's three heaviest interactions (fans 11, 10 and 9 weigh 12, 11 and 10)
    assert [(e.interaction_id, e.engager, e.kind) for e in moment.evidence] == [
        ("b11", "snap:fan11", "mention"),
        ("b10", "snap:fan10", "reshare"),
        ("b9", "snap:fan9", "mention"),
    ]


def test_thresholds_self_engagement_and_undated_interactions(spark):
    rows = [(f"x{n}", "snap", f"snap:p{n}", "snap:t", "reshare", at(10), 1.0, "post-1") for n in range(3)]
    rows.append(("self", "snap", "snap:t", "snap:t", "reshare", at(10), 9.0, None))  # not an engager of oneself
    rows.append(("undated", "snap", "snap:q", "snap:t", "edge", None, 9.0, None))  # an edge list without times
    # one day in the window: the baseline is 0 and the surprise 3 / sqrt(1) = 3, just enough
    [moment] = moment_days(spark, rows)["snap:t"]
    assert (moment.day, moment.engagers, moment.baseline, moment.surprise) == (dt.date(2012, 7, 10), 3, 0.0, 3.0)
    assert {e.post_id for e in moment.evidence} == {"post-1"}
    assert moment_days(spark, rows, min_engagers=4) == {}
    assert moment_days(spark, rows, min_surprise=3.01) == {}


def test_a_person_keeps_the_most_surprising_moments_first(spark):
    rows = []
    for day, fans in ((2, 10), (5, 12), (8, 9)):  # three bursts over ten quiet days
        rows += [(f"d{day}-{n}", "snap", f"snap:f{day}-{n}", "snap:t", "reply", at(day), 1.0, None) for n in range(fans)]
    rows.append(("old", "snap", "snap:a", "snap:b", "reply", at(1), 1.0, None))  # the window starts on 1 July
    total = 10 + 12 + 9
    surprise = {day: (fans - (total - fans) / 9) / math.sqrt((total - fans) / 9 + 1) for day, fans in ((2, 10), (5, 12), (8, 9))}
    assert (
        sorted(surprise, key=surprise.get, reverse=True) == [5, 2, 8] and min(surprise.values()) > 3
    )  # by hand: 5.61, 4.20, 3.53
    assert [m.day.day for m in moment_days(spark, rows)["snap:t"]] == [5, 2, 8]
    found = moment_days(spark, rows, top=2)["snap:t"]
    assert [m.day.day for m in found] == [5, 2]
    assert [m.surprise for m in found] == pytest.approx([surprise[5], surprise[2]])
    assert [m.baseline for m in found] == pytest.approx([(total - 12) / 9, (total - 10) / 9])

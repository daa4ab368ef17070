"""The anti-gaming transforms (transforms/model/trust.py) by hand: the seed rule, votes, burst damping; and
the night that cannot seed (stages.score)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from influence.config import load_config
from influence.errors import ValidationFailed
from influence.tables import IDENTITY_LINKS, INTERACTIONS, POSTS
from stages.score import empty_window_note, score_night
from transforms.model.trust import SeedRule, to_activity, to_burst_discounts, to_seeds, to_trust_votes

PERSONS_SCHEMA = "actor_person string, target_person string, age_days double, weight double, occurred_at timestamp, run_date date"
RUN_DATE = dt.date(2024, 3, 10)
NOON = dt.datetime(2024, 3, 10, 12)


def persons(spark, rows):
    """rows: (actor, target, age_days[, weight]) on the run date's noon (the day is what bursts count)."""
    full = [(a, t, age, *(rest or [1.0]), NOON, RUN_DATE) for a, t, age, *rest in rows]
    return spark.createDataFrame(full, PERSONS_SCHEMA)


def test_seeds_are_established_and_diverse_and_age_is_ignored_when_nothing_is_old(spark):
    frame = persons(
        spark,
        [
            ("old_diverse", "x", 5.0),
            ("old_diverse", "y", 0.5),  # first seen 5 days ago: its oldest activity counts
            ("old_narrow", "x", 5.0),  # one person engaged
            ("new_diverse", "x", 0.2),
            ("new_diverse", "y", 0.2),
            ("self", "self", 5.0),  # self-loops engage nobody
        ],
    )
    activity = {r.id: (r.age_days, r.engaged) for r in to_activity(frame).collect()}
    assert activity == {
        "old_diverse": (5.0, 2),
        "old_narrow": (5.0, 1),
        "new_diverse": (0.2, 2),
        "self": (5.0, 0),
        "x": (5.0, 0),
        "y": (0.5, 0),
    }
    with_ages = SeedRule(min_engaged=2, min_age_days=1.0, ages_known=True)
    assert {r.id for r in to_seeds(to_activity(frame), with_ages).collect()} == {"old_diverse"}
    # nothing in a window is a day old (a first night, a source without times): diversity alone decides
    without_ages = dataclasses.replace(with_ages, ages_known=False)
    assert {r.id for r in to_seeds(to_activity(frame), without_ages).collect()} == {"old_diverse", "new_diverse"}


def test_every_person_engaged_still_has_seeds(spark):
    """The old rule (seeds = persons nobody engages) found none here; the seed rule finds all ten."""
    ring = [(f"p{i}", f"p{(i + step) % 10}", 3.0) for i in range(10) for step in (1, 2)]
    frame = persons(spark, ring)
    assert {t for _, t, _ in ring} == {a for a, _, _ in ring}  # nobody is unengaged
    seeds = to_seeds(to_activity(frame), SeedRule(2, 1.0, ages_known=True))
    assert seeds.count() == 10


def test_votes_by_hand(spark):
    trust = spark.createDataFrame([("s", 0.5), ("full", 0.2), ("tenth", 0.00075), ("none", 0.0)], "id string, trust double")
    seeds = spark.createDataFrame([("s", 1.0)], "id string, teleport double")
    # full trust = 0.05 x (1 - 0.85) / 1 seed = 0.0075; a tenth of it gives 0.1 + 0.9 x 0.1 = 0.19
    votes = {r.id: r.vote for r in to_trust_votes(trust, seeds, 1, 0.85, 0.05, 0.1).collect()}
    assert votes == pytest.approx({"s": 1.0, "full": 1.0, "tenth": 0.19, "none": 0.1})


def test_a_burst_of_new_accounts_is_scaled_down_to_the_allowance(spark):
    rows = [("e1", "v", 4.0), ("e2", "v", 4.0)]  # established engagers of v
    rows += [(f"n{i}", "v", 0.3) for i in range(25)]  # 25 new accounts, one day: 10 count, so 0.4 each
    rows += [("n0", "w", 0.3, 3.0)]  # n0 also engages w, whose 3 new engagers are within the allowance
    rows += [("n1", "w", 0.3), ("n2", "w", 0.3)]
    frame = persons(spark, rows)
    rule = SeedRule(2, 1.0, ages_known=True)
    discounts = {(r.src, r.dst): r.discount for r in to_burst_discounts(frame, to_activity(frame), rule, 10).collect()}
    assert discounts == pytest.approx({(f"n{i}", "v"): 0.4 for i in range(25)})
    # v's established engagers raise its allowance: with 20 of them, 20 of the 25 count
    rows_20 = [(f"e{i}", "v", 4.0) for i in range(20)] + [(f"n{i}", "v", 0.3) for i in range(25)]
    frame_20 = persons(spark, rows_20)
    discounts_20 = to_burst_discounts(frame_20, to_activity(frame_20), rule, 10).collect()
    assert len(discounts_20) == 25
    assert [r.discount for r in discounts_20] == pytest.approx([0.8] * 25)
    # without known ages nobody is new, so nothing is discounted
    unknown = dataclasses.replace(rule, ages_known=False)
    assert to_burst_discounts(frame, to_activity(frame), unknown, 10).count() == 0


def test_a_night_without_seeds_fails_validation_and_says_why(spark):
    """A ring where everyone engages one person: no seed, so no trust; the night must not publish."""
    rows = [
        (f"i{n}", "snap", f"p{n}", f"p{(n + 1) % 6}", "reshare", NOON - dt.timedelta(days=3), 1.0)
        + (None, None, "snap", "generated", n, RUN_DATE)
        for n in range(6)
    ]
    with pytest.raises(ValidationFailed, match="trust stage") as failure:
        score_night(
            spark,
            load_config(lake="/nonexistent-lake"),
            RUN_DATE,
            spark.createDataFrame(rows, INTERACTIONS.schema),
            spark.createDataFrame([], IDENTITY_LINKS.schema),
            spark.createDataFrame([], POSTS.schema),
            None,
        )
    assert failure.value.failures == [
        "trust: no person meets the seed rule (engaged >= 2 distinct persons in the window, first seen >= 1 days "
        "before the night's end), so the anti-gaming defence would be off for the whole night; lower [model.trust] "
        "seed_min_engaged or seed_min_age_days, or land more history"
    ]


def interaction(number, actor, target, occurred_at, landed=RUN_DATE):
    return (f"i{number}", "snap", actor, target, "edge", occurred_at, 1.0) + (None, None, "snap", "f", number, landed)


@pytest.mark.parametrize(
    "rows, said",
    [
        ([], "holds no interactions: none were landed on its run dates"),
        (
            [interaction(1, "a", "b", dt.datetime(2012, 7, 1, 9)), interaction(2, "b", "c", dt.datetime(2012, 7, 3, 23))],
            "holds no interactions: the 2 interactions read occurred from 2012-07-01 to 2012-07-03, outside it. A dump's "
            "events count on the nights of their own dates: run --date 2012-07-03, or backfill the dates they cover",
        ),
        ([interaction(1, "a", "a", NOON)], "holds 1 interaction, and none joins two different persons with a weight above 0"),
        (
            [interaction(1, "a", "a", NOON), interaction(2, "b", "b", NOON)],
            "holds 2 interactions, and none joins two different persons with a weight above 0",
        ),
        (
            [interaction(1, "a", "b", None, RUN_DATE + dt.timedelta(days=1))],
            "holds no interactions: the interaction read was landed after 2024-03-10",
        ),
    ],
    ids=["nothing landed", "a dump of another date", "self-engagement", "self-engagements", "landed later"],
)
def test_an_empty_graph_is_explained(spark, rows, said):
    frame = spark.createDataFrame(rows, INTERACTIONS.schema)
    assert empty_window_note(frame, RUN_DATE, 90) == f"the scoring window (90 days to the end of 2024-03-10) {said}"

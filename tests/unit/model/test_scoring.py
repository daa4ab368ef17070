"""transforms.model.scoring: PageRank -> 1-100 log-scaled score, percentile and engagement counts."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from pyspark.sql import functions as F, types as T
from pyspark.testing import assertDataFrameEqual

from influence.tables import PERSON_ACCOUNTS
from transforms.model.scoring import (
    calibrated,
    to_counted_flows,
    to_previous_scores,
    with_calibrated_scores,
    with_engagement,
    with_percentile,
    with_primary_account,
    with_relative_rank,
    with_smoothed_score,
)

# PageRank joined with the vertices: a person id, its accounts (most engaged-with first) and its rank.
RANKED_SCHEMA = T.StructType(
    [
        T.StructField("id", T.StringType(), False),
        T.StructField("accounts", PERSON_ACCOUNTS, True),
        T.StructField("pagerank", T.DoubleType(), False),
    ]
)
PERCENTILE_SCHEMA = T.StructType([*RANKED_SCHEMA.fields, T.StructField("percentile", T.DoubleType(), True)])
EDGE_SCHEMA = "src string, dst string, weight double, interactions long"


def accounts_of(i):
    return [("higgs", f"acc{i}"), ("other", f"alt{i}")]


def ranked(spark, pageranks):
    """One vertex per pagerank, ids v0, v1, ...; the last one's accounts are None (a nullable pass-through)."""
    rows = [(f"v{i}", accounts_of(i), pr) for i, pr in enumerate(pageranks)]
    rows[-1] = (rows[-1][0], None, rows[-1][2])
    return spark.createDataFrame(rows, RANKED_SCHEMA)


def with_expected(spark, pageranks, values, schema):
    rows = [(f"v{i}", accounts_of(i), pr, value) for i, (pr, value) in enumerate(zip(pageranks, values))]
    rows[-1] = (rows[-1][0], None, *rows[-1][2:])
    return spark.createDataFrame(rows, schema)


# calibrated score and smoothing

ANCHORS = {"relative_rank": (-1.0, 9.0), "engagers": (0.0, 10.0), "amplification": (0.0, 5.0), "engager_rank": (0.0, 2.0)}
MEASURE_SCHEMA = "id string, relative_rank double, engagers long, amplification double, engager_rank double"


def test_calibrated_scores_by_hand(spark):
    rows = [
        # ln 1 = 0 sits at 1/10 of [-1, 9]: 1 + 9.9; ln(1 + 147) on [0, 10] and ln(1 + e - 1) = 1 on [0, 5]
        ("middle", 1.0, int(round(math.e**5)) - 1, math.e - 1, 0.0),
        ("below", math.exp(-3), 0, 0.0, 0.0),  # under the lower anchor: clamped to 1
        ("above", math.exp(12), 10**6, 1e6, 1e6),  # over the upper anchor: clamped to 100
    ]
    got = {row.id: row for row in with_calibrated_scores(spark.createDataFrame(rows, MEASURE_SCHEMA), ANCHORS).collect()}
    assert got["middle"].raw_score == pytest.approx(1 + 99 * 0.1)
    assert got["middle"].reach_score == round(1 + 99 * math.log(round(math.e**5)) / 10)
    assert got["middle"].amplification_score == round(1 + 99 * 1 / 5)  # ln(1 + e - 1) = 1
    assert got["middle"].network_score == 1
    assert (got["below"].raw_score, got["below"].reach_score) == (1.0, 1)
    above = got["above"]
    assert (above.raw_score, above.reach_score, above.amplification_score, above.network_score) == (100.0, 100, 100, 100)


def test_anchors_must_be_ordered():
    with pytest.raises(ValueError, match="lower < upper"):
        calibrated(F.lit(1.0), 2.0, 2.0)


def test_smoothing_blends_with_the_previous_score_and_the_latest_earlier_date_counts(spark):
    history = spark.createDataFrame(
        [
            (dt.date(2024, 3, 8), "a", 10),
            (dt.date(2024, 3, 9), "a", 40),  # the 9th is the latest earlier date
            (dt.date(2024, 3, 10), "a", 99),  # tonight's own rows (a rerun) do not count
            (dt.date(2024, 3, 8), "b", 70),  # b missed the 9th: no previous score
        ],
        "run_date date, person_id string, score int",
    )
    previous = to_previous_scores(history, dt.date(2024, 3, 10))
    assert sorted(tuple(row) for row in previous.collect()) == [("a", 40)]
    tonight = spark.createDataFrame([("a", 61.0), ("b", 20.4)], "id string, raw_score double")
    got = {row.id: row.score for row in with_smoothed_score(tonight, previous, 0.5).collect()}
    assert got == {"a": round(0.5 * 61 + 0.5 * 40 + 1e-9), "b": 20}  # 50.5 rounds half up to 51
    unsmoothed = {row.id: row.score for row in with_smoothed_score(tonight, previous, 1.0).collect()}
    assert unsmoothed == {"a": 61, "b": 20}


# with_percentile


def percentiles(frame):
    """with_percentile over relative_rank, here equal to the pagerank (the ordering is what is tested)."""
    return with_percentile(frame.withColumn("relative_rank", F.col("pagerank"))).drop("relative_rank")


def test_percentile_is_100_times_the_percent_rank_with_ties_sharing_one(spark):
    # ranks 1, 2, 2, 4, 5 of 5: (rank - 1) / (5 - 1) = 0, 1/4, 1/4, 3/4, 1
    pageranks = [0.1, 0.2, 0.2, 0.4, 0.5]
    assertDataFrameEqual(
        percentiles(ranked(spark, pageranks)),
        with_expected(spark, pageranks, [0.0, 25.0, 25.0, 75.0, 100.0], PERCENTILE_SCHEMA),
        rtol=0,
        atol=0,
    )


def test_percentile_is_rounded_to_4_decimals(spark):
    # of 4 accounts: 0, 1/3, 2/3, 1 -> 0, 33.3333, 66.6667, 100
    pageranks = [0.4, 0.1, 0.3, 0.2]
    assertDataFrameEqual(
        percentiles(ranked(spark, pageranks)),
        with_expected(spark, pageranks, [100.0, 0.0, 66.6667, 33.3333], PERCENTILE_SCHEMA),
        rtol=0,
        atol=0,
    )


def test_tied_top_accounts_share_the_percentile_of_the_first_of_them(spark):
    # ranks 1, 2, 2 of 3: 0, 1/2, 1/2
    pageranks = [0.2, 0.4, 0.4]
    assertDataFrameEqual(
        percentiles(ranked(spark, pageranks)),
        with_expected(spark, pageranks, [0.0, 50.0, 50.0], PERCENTILE_SCHEMA),
        rtol=0,
        atol=0,
    )


def test_a_single_account_is_at_percentile_0(spark):
    assertDataFrameEqual(
        percentiles(ranked(spark, [0.7])),
        with_expected(spark, [0.7], [0.0], PERCENTILE_SCHEMA),
    )


# with_engagement


def test_engagement_counts_distinct_engagers_and_their_interactions(spark):
    ranks = spark.createDataFrame(
        [("b", [("x", "b")], 0.4), ("c", [("x", "c")], 0.3), ("a", [("x", "a")], 0.2), ("lonely", None, 0.1)],
        RANKED_SCHEMA,
    )
    edges = spark.createDataFrame(
        [
            ("a", "b", 3.5, 2),  # one engager with two interactions
            ("c", "b", 1.0, 1),
            ("a", "c", 0.5, 4),
            ("b", "a", 1.0, 1),
            ("ghost", "a", 1.0, 3),  # an engager that is not ranked still engaged
        ],
        EDGE_SCHEMA,
    )
    assertDataFrameEqual(
        with_engagement(ranks, edges),
        spark.createDataFrame(
            [
                ("b", [("x", "b")], 0.4, 2, 3),
                ("c", [("x", "c")], 0.3, 1, 4),
                ("a", [("x", "a")], 0.2, 2, 4),
                ("lonely", None, 0.1, 0, 0),  # no edge in: zeros, not nulls
            ],
            T.StructType(
                [
                    *RANKED_SCHEMA.fields,
                    T.StructField("engagers", T.LongType(), True),
                    T.StructField("interactions_received", T.LongType(), True),
                ]
            ),
        ),
    )


# with_primary_account


def test_the_primary_account_is_the_first_of_the_person_accounts(spark):
    ranks = spark.createDataFrame(
        [
            ("alice", [("tw", "a1"), ("bsky", "a2"), ("tw", "a3")], 0.5),
            ("tw:c", [("tw", "c")], 0.3),  # an unlinked account is its own person
            ("ghost", None, 0.2),
        ],
        RANKED_SCHEMA,
    )
    assertDataFrameEqual(
        with_primary_account(ranks),
        spark.createDataFrame(
            [
                ("alice", [("tw", "a1"), ("bsky", "a2"), ("tw", "a3")], 0.5, "alice", "tw", "a1"),
                ("tw:c", [("tw", "c")], 0.3, "tw:c", "tw", "c"),
                ("ghost", None, 0.2, "ghost", None, None),
            ],
            T.StructType(
                [
                    *RANKED_SCHEMA.fields,
                    T.StructField("person_id", T.StringType(), True),
                    T.StructField("network", T.StringType(), True),
                    T.StructField("account_id", T.StringType(), True),
                ]
            ),
        ),
    )


def test_relative_rank_counts_the_biggest_engager_for_at_most_all_the_others_by_hand(spark):
    # v gets 0.03 from a (as two kinds: 0.02 + 0.01) and 0.01 from b; w gets 0.05 from a alone; baseline 0.01
    flows = spark.createDataFrame(
        [("v", "a", "reshare", 0.02), ("v", "a", "reply", 0.01), ("v", "b", "reshare", 0.01), ("w", "a", "reshare", 0.05)],
        "dst string, src string, kind string, flow double",
    )
    # z: nobody engages z, and its pagerank carries a residual of the last iteration (1e-7)
    ranked = spark.createDataFrame([("v", 0.05), ("w", 0.06), ("a", 0.01), ("z", 0.0100001)], "id string, pagerank double")
    got = {r.id: r for r in with_relative_rank(ranked, flows, 0.01).collect()}
    # v: a sends 0.03, 0.02 more than b's 0.01, so 0.05 - 0.02 = 0.03 counts: 3 baselines
    assert got["v"].relative_rank == pytest.approx(3.0)
    assert got["v"].effective_engagers == pytest.approx(0.04**2 / (0.03**2 + 0.01**2))  # 1.6
    # a counts for 0.01 (b's flow) of v's counted 0.01 + 0.01 + 0.01: a third
    assert got["v"].top_engager_share == pytest.approx(1 / 3)
    # w: one engager alone lifts nobody above the baseline, and counts for nothing
    assert (got["w"].relative_rank, got["w"].effective_engagers) == pytest.approx((1.0, 1.0))
    assert got["w"].top_engager_share == pytest.approx(0.0)
    # a: nobody engages a
    assert (got["a"].relative_rank, got["a"].effective_engagers, got["a"].top_engager_share) == pytest.approx((1.0, 0.0, 0.0))
    # z: counted from what reaches it (the baseline only), so exactly at the floor with a and w
    assert got["z"].relative_rank == got["a"].relative_rank == got["w"].relative_rank == 1.0


def test_counted_flows_cut_a_lone_biggest_engager_to_the_others_sum_by_hand(spark):
    flows = spark.createDataFrame(
        [
            # v: a sends 0.02 + 0.01 over two kinds, b 0.01: a counts 0.01, each of its kinds by a third
            ("v", "a", "reshare", 0.02),
            ("v", "a", "reply", 0.01),
            ("v", "b", "reshare", 0.01),
            # w: a alone counts for nothing
            ("w", "a", "reshare", 0.05),
            # x: a and b tie at the top, c is smaller: nobody sends more than the others together
            ("x", "a", "reshare", 0.02),
            ("x", "b", "reshare", 0.02),
            ("x", "c", "reshare", 0.01),
            # y: the biggest engager sends less than the rest: nothing is cut
            ("y", "a", "reshare", 0.02),
            ("y", "b", "reshare", 0.015),
            ("y", "c", "reshare", 0.015),
        ],
        "dst string, src string, kind string, flow double",
    )
    got = {(r.dst, r.src, r.kind): r.flow for r in to_counted_flows(flows).collect()}
    assert got == pytest.approx(
        {
            ("v", "a", "reshare"): 0.02 / 3,
            ("v", "a", "reply"): 0.01 / 3,
            ("v", "b", "reshare"): 0.01,
            ("w", "a", "reshare"): 0.0,
            ("x", "a", "reshare"): 0.02,
            ("x", "b", "reshare"): 0.02,
            ("x", "c", "reshare"): 0.01,
            ("y", "a", "reshare"): 0.02,
            ("y", "b", "reshare"): 0.015,
            ("y", "c", "reshare"): 0.015,
        }
    )

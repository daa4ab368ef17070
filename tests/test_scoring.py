"""transforms.scoring: PageRank -> 1-100 log-scaled score, percentile and engagement counts."""

from __future__ import annotations

import decimal
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from influence.tables import PERSON_ACCOUNTS
from transforms.scoring import with_engagement, with_percentile, with_primary_account, with_score

# PageRank joined with the vertices: a person id, its accounts (most engaged-with first) and its rank.
RANKED_SCHEMA = T.StructType([
    T.StructField("id", T.StringType(), False),
    T.StructField("accounts", PERSON_ACCOUNTS, True),
    T.StructField("pagerank", T.DoubleType(), False),
])
SCORED_SCHEMA = T.StructType([*RANKED_SCHEMA.fields, T.StructField("score", T.IntegerType(), True)])
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


# with_score

def test_scores_are_log_scaled_between_1_and_100(spark):
    # ln spread over 1e-6 .. 1e-3 is 3 ln 10; 1e-5 sits at 1/3 (1 + 33 = 34), 1e-4 at 2/3 (1 + 66 = 67).
    pageranks = [1e-6, 1e-5, 1e-4, 1e-3, 1e-5]
    assertDataFrameEqual(
        with_score(ranked(spark, pageranks)),
        with_expected(spark, pageranks, [1, 34, 67, 100, 34], SCORED_SCHEMA),
    )


def test_score_positions_round_to_the_nearest_integer(spark):
    # ln pr = 0, 1, 3, 10 (times a constant factor): positions 0, 0.1, 0.3, 1 -> 1, 10.9 -> 11, 30.7 -> 31, 100.
    pageranks = [0.001 * math.exp(x) for x in (0, 1, 3, 10)]
    assertDataFrameEqual(
        with_score(ranked(spark, pageranks)),
        with_expected(spark, pageranks, [1, 11, 31, 100], SCORED_SCHEMA),
    )


def test_when_every_rank_is_equal_everyone_scores_1(spark):
    pageranks = [0.25, 0.25, 0.25, 0.25]
    assertDataFrameEqual(
        with_score(ranked(spark, pageranks)),
        with_expected(spark, pageranks, [1, 1, 1, 1], SCORED_SCHEMA),
    )


def test_a_single_account_scores_1(spark):
    assertDataFrameEqual(
        with_score(ranked(spark, [1.0])),
        with_expected(spark, [1.0], [1], SCORED_SCHEMA),
    )


def reference_position(pagerank, low, high):
    """99 * (ln pr - ln min) / (ln max - ln min), worked out in Python."""
    spread = math.log(high) - math.log(low)
    return 99 * (math.log(pagerank) - math.log(low)) / spread if spread > 0 else 0.0


POSITIVE_FLOATS = st.floats(min_value=0.0, exclude_min=True, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pageranks=st.lists(st.one_of(POSITIVE_FLOATS, st.floats(1e-9, 1.0)), min_size=1, max_size=30))
def test_score_is_monotone_in_pagerank_and_follows_the_formula(spark, pageranks):
    rows = sorted(((row.pagerank, row.score) for row in with_score(ranked(spark, pageranks)).collect()))

    assert [pr for pr, _ in rows] == sorted(pageranks)
    scores = [score for _, score in rows]
    assert all(1 <= score <= 100 for score in scores)
    assert scores == sorted(scores), "score must not decrease as pagerank grows"
    low, high = min(pageranks), max(pageranks)
    assert scores[0] == 1
    assert scores[-1] == (100 if math.log(high) > math.log(low) else 1)
    ln_low, ln_high = math.log(low), math.log(high)
    if ln_high - ln_low < 1e-9 * max(1.0, abs(ln_low), abs(ln_high)):
        return  # a spread of a few ulps: a last-bit difference between two ln implementations moves positions
    for pagerank, score in rows:
        position = reference_position(pagerank, low, high)
        # Spark's and Python's ln may differ in the last bit: near a .5 boundary either neighbour is right.
        if abs(position % 1 - 0.5) > 1e-6:
            half_up = int(decimal.Decimal(1 + position).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))
            assert score == half_up, (pagerank, position)
        else:
            assert abs(score - (1 + position)) <= 0.5 + 1e-6


# with_percentile

def test_percentile_is_100_times_the_percent_rank_with_ties_sharing_one(spark):
    # ranks 1, 2, 2, 4, 5 of 5: (rank - 1) / (5 - 1) = 0, 1/4, 1/4, 3/4, 1
    pageranks = [0.1, 0.2, 0.2, 0.4, 0.5]
    assertDataFrameEqual(
        with_percentile(ranked(spark, pageranks)),
        with_expected(spark, pageranks, [0.0, 25.0, 25.0, 75.0, 100.0], PERCENTILE_SCHEMA),
        rtol=0,
        atol=0,
    )


def test_percentile_is_rounded_to_4_decimals(spark):
    # of 4 accounts: 0, 1/3, 2/3, 1 -> 0, 33.3333, 66.6667, 100
    pageranks = [0.4, 0.1, 0.3, 0.2]
    assertDataFrameEqual(
        with_percentile(ranked(spark, pageranks)),
        with_expected(spark, pageranks, [100.0, 0.0, 66.6667, 33.3333], PERCENTILE_SCHEMA),
        rtol=0,
        atol=0,
    )


def test_tied_top_accounts_share_the_percentile_of_the_first_of_them(spark):
    # ranks 1, 2, 2 of 3: 0, 1/2, 1/2
    pageranks = [0.2, 0.4, 0.4]
    assertDataFrameEqual(
        with_percentile(ranked(spark, pageranks)),
        with_expected(spark, pageranks, [0.0, 50.0, 50.0], PERCENTILE_SCHEMA),
        rtol=0,
        atol=0,
    )


def test_a_single_account_is_at_percentile_0(spark):
    assertDataFrameEqual(
        with_percentile(ranked(spark, [0.7])),
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
            T.StructType([
                *RANKED_SCHEMA.fields,
                T.StructField("engagers", T.LongType(), True),
                T.StructField("interactions_received", T.LongType(), True),
            ]),
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
            T.StructType([
                *RANKED_SCHEMA.fields,
                T.StructField("person_id", T.StringType(), True),
                T.StructField("network", T.StringType(), True),
                T.StructField("account_id", T.StringType(), True),
            ]),
        ),
    )

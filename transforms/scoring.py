"""PageRank -> the 1-100 influence score, percentile and engagement counts."""

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from influence.tables import INFLUENCE_SCORES, PROFILES

MIN_SCORE, MAX_SCORE = 1, 100


def with_engagement(ranked: DataFrame, edges: DataFrame) -> DataFrame:
    """engagers: distinct accounts with an edge into the vertex; interactions_received: their count."""
    incoming = edges.groupBy(F.col("dst").alias("id")).agg(
        F.count(F.lit(1)).alias("engagers"),
        F.sum("interactions").alias("interactions_received"),
    )
    return ranked.join(incoming, on="id", how="left").fillna(0, subset=["engagers", "interactions_received"])


def with_score(ranked: DataFrame) -> DataFrame:
    """score = 1 + round(99 * (ln pr - ln min) / (ln max - ln min)), min and max over the night.

    Log scale, because PageRank is heavy-tailed: a linear scale would put nearly everyone at 1.
    Monotone non-decreasing in pagerank; when every rank is equal everyone scores 1.
    """
    bounds = ranked.agg(
        F.ln(F.min("pagerank")).alias("ln_min"),
        F.ln(F.max("pagerank")).alias("ln_max"),
    )
    spread = F.col("ln_max") - F.col("ln_min")
    position = F.when(spread > 0, (F.ln("pagerank") - F.col("ln_min")) / spread).otherwise(F.lit(0.0))
    score = F.least(F.greatest(F.round(F.lit(MIN_SCORE) + (MAX_SCORE - MIN_SCORE) * position), F.lit(MIN_SCORE)), F.lit(MAX_SCORE))
    return ranked.crossJoin(F.broadcast(bounds)).withColumn("score", score.cast("int")).drop("ln_min", "ln_max")


def with_percentile(scored: DataFrame) -> DataFrame:
    """percentile: share of accounts with a strictly lower pagerank, 0-100 (ties share a percentile)."""
    return scored.withColumn("percentile", F.round(F.percent_rank().over(Window.orderBy("pagerank")) * 100, 4))


def with_primary_account(scored: DataFrame) -> DataFrame:
    """person_id, and the person's primary account (the first of `accounts`: the most engaged-with) as
    network and account_id, so (network, account_id) stays a unique key of the published rows."""
    return scored.withColumns({
        "person_id": F.col("id"),
        "network": F.col("accounts")[0]["network"],
        "account_id": F.col("accounts")[0]["account_id"],
    })


def to_influence_scores(scored: DataFrame, run_date: dt.date) -> DataFrame:
    return scored.select(F.lit(run_date).alias("run_date"), *[n for n in INFLUENCE_SCORES.columns if n != "run_date"])


def to_profiles(scores: DataFrame) -> DataFrame:
    """One current row per person, from one run date's scores."""
    return scores.select(*[n for n in PROFILES.columns if n != "as_of_date"], F.col("run_date").alias("as_of_date"))

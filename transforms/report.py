"""The nightly report's figures, from score-history frames of two run dates (stages/report.py draws them).

Each function takes a night's scores (rows of gold/influence_scores or staging/influence_scores) and,
where it compares, the scores of the run date before it, and returns a small frame: at most a few dozen
rows, ready for a chart.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window, functions as F

SCORE_BIN_WIDTH = 10  # scores are 1-100: ten bins, 1-10 ... 91-100


def score_distribution(scores: DataFrame) -> DataFrame:
    """Persons per score bin: bin_low, bin_high, persons; every bin present, empty ones with 0."""
    bins = scores.sparkSession.range(0, 100 // SCORE_BIN_WIDTH).select(
        (F.col("id") * SCORE_BIN_WIDTH + 1).cast("int").alias("bin_low"),
        ((F.col("id") + 1) * SCORE_BIN_WIDTH).cast("int").alias("bin_high"),
    )
    counted = scores.groupBy(
        (F.floor((F.col("score") - 1) / SCORE_BIN_WIDTH) * SCORE_BIN_WIDTH + 1).cast("int").alias("bin_low")
    ).agg(F.count(F.lit(1)).alias("persons"))
    return (
        bins.join(counted, "bin_low", "left")
        .select("bin_low", "bin_high", F.coalesce("persons", F.lit(0)).alias("persons"))
        .orderBy("bin_low")
    )


def _named(prefix: str) -> Column:
    return F.concat_ws(":", F.col(f"{prefix}.network"), F.col(f"{prefix}.account_id"))


def movers(tonight: DataFrame, before: DataFrame, limit: int) -> DataFrame:
    """The `limit` biggest rises and the `limit` biggest falls of score between the two nights, persons
    scored on both: direction ('up'/'down'), account (network:account_id), score, previous_score, change,
    engagers, previous_engagers, top_engagers (the three biggest shares of the counted rank, 'account 42%'),
    by_kind (the interaction kinds' shares, 'retweet 60%'). Ties are broken by account, so the list is stable."""
    shares = F.transform(
        F.slice(F.col("t.explanation.top_engagers"), 1, 3),
        lambda e: F.concat(
            F.concat_ws(":", e["network"], e["account_id"]),
            F.lit(" "),
            F.round(e["share"] * 100).cast("int").cast("string"),
            F.lit("%"),
        ),
    )
    kinds = F.transform(
        F.map_entries(F.col("t.explanation.by_kind")),
        lambda k: F.concat(k["key"], F.lit(" "), F.round(k["value"] * 100).cast("int").cast("string"), F.lit("%")),
    )
    changes = (
        tonight.alias("t")
        .join(before.alias("b"), "person_id")
        .select(
            _named("t").alias("account"),
            F.col("t.score").alias("score"),
            F.col("b.score").alias("previous_score"),
            (F.col("t.score") - F.col("b.score")).alias("change"),
            F.col("t.engagers").alias("engagers"),
            F.col("b.engagers").alias("previous_engagers"),
            F.array_join(shares, ", ").alias("top_engagers"),
            F.array_join(kinds, ", ").alias("by_kind"),
        )
    )
    # each direction sorted on its own rows only, and cut to `limit` before numbering: no global window
    ups = changes.filter(F.col("change") > 0).orderBy(F.col("change").desc(), "account").limit(limit)
    downs = changes.filter(F.col("change") < 0).orderBy(F.col("change").asc(), "account").limit(limit)
    numbered = [
        part.withColumn("direction", F.lit(direction)).withColumn(
            "rank", F.row_number().over(Window.partitionBy("direction").orderBy(order, "account"))
        )
        for part, direction, order in ((ups, "up", F.col("change").desc()), (downs, "down", F.col("change").asc()))
    ]
    return numbered[0].unionByName(numbered[1]).orderBy(F.col("direction").desc(), "rank")


def topic_sizes(scores: DataFrame) -> DataFrame:
    """Persons holding each topic: topic_id, name, persons."""
    return (
        scores.select(F.explode("topics").alias("topic"))
        .groupBy(F.col("topic.topic_id").alias("topic_id"))
        .agg(F.max("topic.name").alias("name"), F.count(F.lit(1)).alias("persons"))
    )


def topic_growth(tonight: DataFrame, before: DataFrame, limit: int) -> DataFrame:
    """Tonight's `limit` largest topics by persons: topic_id, name, persons, previous_persons (0 when new),
    growth, is_new; largest first."""
    return _growth(topic_sizes(tonight), topic_sizes(before).select("topic_id", "persons"), "topic_id", limit)


def community_sizes(scores: DataFrame) -> DataFrame:
    """Persons per community: community_id, name (its highest-scored person's account), persons."""
    leader = Window.partitionBy("community_id").orderBy(F.col("score").desc(), "account_id")
    return (
        scores.filter(F.col("community_id").isNotNull())
        .withColumn("is_leader", F.row_number().over(leader) == 1)
        .groupBy("community_id")
        .agg(
            F.max(F.when(F.col("is_leader"), F.concat_ws(":", "network", "account_id"))).alias("name"),
            F.count(F.lit(1)).alias("persons"),
        )
    )


def community_growth(tonight: DataFrame, before: DataFrame, limit: int) -> DataFrame:
    """Tonight's `limit` largest communities, as topic_growth does for topics (name: the leader's account)."""
    return _growth(community_sizes(tonight), community_sizes(before).select("community_id", "persons"), "community_id", limit)


def _growth(tonight: DataFrame, before: DataFrame, key: str, limit: int) -> DataFrame:
    previous = before.withColumnRenamed("persons", "previous_persons")
    return (
        tonight.join(previous, key, "left")
        .select(
            key,
            "name",
            "persons",
            F.coalesce("previous_persons", F.lit(0)).alias("previous_persons"),
            (F.col("persons") - F.coalesce("previous_persons", F.lit(0))).alias("growth"),
            F.col("previous_persons").isNull().alias("is_new"),
        )
        .orderBy(F.col("persons").desc(), key)
        .limit(limit)
    )

"""Moments in time: the days on which the engagement a person received was far above their own baseline
(docs/model.md#moments). Every source has them, SNAP included: the interactions are the evidence.

For each person and UTC day of the window, `engagers` is the number of distinct persons who engaged them
that day. The window's days run from the first day any of its interactions occurred to the run date. A
day's baseline is the mean of the person's other days, days without engagement counted as 0:

    baseline = (engager-days of the window - engagers of the day) / (days of the window - 1)

and its surprise is (engagers - baseline) / sqrt(baseline + 1), about how many standard deviations the
day lies above the baseline if daily engagers varied like a Poisson count around it (the +1 keeps a
first or a quiet history from dividing by zero). A day is a moment when at least `min_engagers` engaged
and its surprise is at least `min_surprise`. A person keeps their `top` most surprising moments, each
with the day's `evidence` heaviest interactions.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window, functions as F

from influence.tables import MOMENT_DAYS

EVIDENCE_FIELDS = MOMENT_DAYS.elementType["evidence"].dataType.elementType.fieldNames()
MOMENT_FIELDS = MOMENT_DAYS.elementType.fieldNames()


def to_moment_days(
    persons: DataFrame, run_date: dt.date, min_engagers: int, min_surprise: float, top: int, evidence: int = 3
) -> DataFrame:
    """id, moment_days: from the window's interactions with actor_person and target_person (graph persons)."""
    engaged = persons.filter(F.col("occurred_at").isNotNull() & (F.col("actor_person") != F.col("target_person"))).select(
        F.col("target_person").alias("id"),
        F.to_date("occurred_at").alias("day"),
        F.col("actor_person").alias("engager"),
        "interaction_id",
        "kind",
        "network",
        F.col("target_post_id").alias("post_id"),
        "weight",
    )
    per_day = engaged.groupBy("id", "day").agg(
        F.countDistinct("engager").alias("engagers"), F.count(F.lit(1)).alias("interactions")
    )
    # from the per-day counts, not the interactions: one scan of them fewer
    span = per_day.agg(F.greatest(F.datediff(F.lit(run_date), F.min("day")) + 1, F.lit(1)).alias("window_days"))
    person_total = Window.partitionBy("id")
    baseline = F.when(
        F.col("window_days") > 1,
        (F.sum("engagers").over(person_total) - F.col("engagers")) / (F.col("window_days") - 1),
    ).otherwise(F.lit(0.0))
    moments = (
        per_day.crossJoin(F.broadcast(span))
        .withColumn("baseline", baseline.cast("double"))
        .withColumn("surprise", (F.col("engagers") - F.col("baseline")) / F.sqrt(F.col("baseline") + 1))
        .filter((F.col("engagers") >= min_engagers) & (F.col("surprise") >= min_surprise))
    )
    most_surprising = Window.partitionBy("id").orderBy(F.col("surprise").desc(), F.col("day").desc())
    kept = moments.withColumn("position", F.row_number().over(most_surprising)).filter(F.col("position") <= top)

    heaviest = Window.partitionBy("id", "day").orderBy(F.col("weight").desc(), "interaction_id")
    examples = (
        engaged.join(kept.select("id", "day"), on=["id", "day"], how="left_semi")
        .withColumn("rank", F.row_number().over(heaviest))
        .filter(F.col("rank") <= evidence)
        .groupBy("id", "day")
        .agg(
            F.transform(
                F.sort_array(F.collect_list(F.struct("rank", "interaction_id", "engager", "kind", "network", "post_id"))),
                lambda e: F.struct(*[e[name].alias(name) for name in EVIDENCE_FIELDS]),
            ).alias("evidence")
        )
    )
    return (
        kept.join(examples, on=["id", "day"], how="left")
        .groupBy("id")
        .agg(
            F.transform(
                F.sort_array(F.collect_list(F.struct("position", *MOMENT_FIELDS))),
                lambda m: F.struct(*[m[name].alias(name) for name in MOMENT_FIELDS]),
            )
            .cast(MOMENT_DAYS)
            .alias("moment_days")
        )
    )

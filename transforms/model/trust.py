"""Anti-gaming: who earns trust (seeds), each person's vote, and the burst discount (docs/model.md#anti-gaming).

A farm's accounts are new and engage few persons, and nobody trusted engages them. So trust starts at
seeds, persons with an established, diverse activity; it reaches others only through engagement from
the trusted (TrustRank); and a person's vote, the share of their rank their engagement passes on, grows
with the trust that reaches them. A flood of engagement from new accounts on one day is scaled down
on top of that (burst damping, in the spirit of PeerIndex).

`persons` is stages.score's frame of the window's model-weighted interactions with actor_person and
target_person (transforms.model.graph.with_persons): age_days, weight, occurred_at, run_date.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, functions as F


@dataclass(frozen=True)
class SeedRule:
    """A seed engaged at least min_engaged distinct persons in the window and was first seen at least
    min_age_days before the night's end; with ages_known False (nothing in the window is that old),
    diversity alone decides, since age cannot tell anyone apart."""

    min_engaged: int
    min_age_days: float
    ages_known: bool

    def describe(self) -> str:
        age = f"first seen >= {self.min_age_days:g} days before the night's end" if self.ages_known else "any age"
        return f"engaged >= {self.min_engaged} distinct persons in the window, {age}"


def to_activity(persons: DataFrame) -> DataFrame:
    """id, age_days: how long before the night's end the person was first seen in the window (as actor or
    target); engaged: the distinct other persons they engaged with."""
    sides = persons.select(F.col("actor_person").alias("id"), "age_days").unionByName(
        persons.select(F.col("target_person").alias("id"), "age_days")
    )
    first_seen = sides.groupBy("id").agg(F.max("age_days").alias("age_days"))
    engaged = (
        persons.filter(F.col("actor_person") != F.col("target_person"))
        .groupBy(F.col("actor_person").alias("id"))
        .agg(F.countDistinct("target_person").alias("engaged"))
    )
    return first_seen.join(engaged, on="id", how="left").fillna(0, subset=["engaged"])


def oldest_activity_days(activity: DataFrame) -> float:
    """The age of the window's oldest activity (0 for an empty window): whether ages can be told apart."""
    return float(activity.agg(F.coalesce(F.max("age_days"), F.lit(0.0))).first()[0])


def is_new(rule: SeedRule) -> Column:
    """A new account, on activity rows: first seen less than min_age_days ago, when ages are known."""
    return F.lit(rule.ages_known) & (F.col("age_days") < F.lit(rule.min_age_days))


def to_seeds(activity: DataFrame, rule: SeedRule) -> DataFrame:
    """id, teleport 1.0: the persons who meet the seed rule, where TrustRank teleports."""
    earned = (F.col("engaged") >= F.lit(rule.min_engaged)) & ~is_new(rule)
    return activity.filter(earned).select("id", F.lit(1.0).alias("teleport"))


def to_trust_votes(
    trust: DataFrame, seeds: DataFrame, seed_count: int, damping: float, full_vote_trust: float, untrusted_vote: float
) -> DataFrame:
    """id, vote from TrustRank (trust: id, trust, summing to 1; seeds: id).

    A seed votes 1. Anyone else votes untrusted_vote plus the rest in proportion to the trust that reaches
    them, full from full_vote_trust x a seed's own teleport share (1 - d) / seeds upwards.
    """
    full_trust = full_vote_trust * (1.0 - damping) / seed_count
    trusted_share = F.least(F.col("trust") / F.lit(full_trust), F.lit(1.0))
    return trust.join(seeds.select("id", F.lit(True).alias("is_seed")), on="id", how="left").select(
        "id",
        F.when(F.col("is_seed"), F.lit(1.0))
        .otherwise(F.lit(untrusted_vote) + F.lit(1.0 - untrusted_vote) * trusted_share)
        .alias("vote"),
    )


def interaction_day(persons: DataFrame) -> Column:
    """The UTC day an interaction happened (else the night it landed)."""
    return F.coalesce(F.to_date(F.col("occurred_at")), F.col("run_date"))


def to_burst_discounts(persons: DataFrame, activity: DataFrame, rule: SeedRule, allowance: int) -> DataFrame:
    """src, dst, discount < 1: the edges whose rank a burst of new accounts scales down.

    On each day, the new accounts engaging dst count fully up to max(allowance, dst's established engagers
    in the window); n > that many count that many between them (each interaction x allowance / n). An
    edge's discount is the weight-averaged discount of its interactions. Without known ages, none.
    """
    if not rule.ages_known:
        return persons.sparkSession.createDataFrame([], "src string, dst string, discount double")
    newcomers = activity.filter(is_new(rule)).select(F.col("id").alias("actor_person"), F.lit(True).alias("from_new"))
    engagement = (
        persons.filter(F.col("actor_person") != F.col("target_person"))
        .select("actor_person", "target_person", "weight", interaction_day(persons).alias("day"))
        .join(F.broadcast(newcomers), on="actor_person", how="left")
        .withColumn("from_new", F.coalesce(F.col("from_new"), F.lit(False)))
    )
    established = (
        engagement.filter(~F.col("from_new"))
        .groupBy("target_person")
        .agg(F.countDistinct("actor_person").alias("established_engagers"))
    )
    floods = (
        engagement.filter(F.col("from_new"))
        .groupBy("target_person", "day")
        .agg(F.countDistinct("actor_person").alias("new_engagers"))
        .join(established, on="target_person", how="left")
        .select(
            "target_person",
            "day",
            F.least(
                F.lit(1.0),
                F.greatest(F.lit(float(allowance)), F.coalesce(F.col("established_engagers"), F.lit(0)).cast("double"))
                / F.col("new_engagers"),
            ).alias("day_discount"),
        )
        .filter(F.col("day_discount") < 1.0)
    )
    discounted = engagement.join(floods, on=["target_person", "day"], how="left").withColumn(
        "day_discount", F.when(F.col("from_new"), F.coalesce(F.col("day_discount"), F.lit(1.0))).otherwise(F.lit(1.0))
    )
    return (
        discounted.groupBy(F.col("actor_person").alias("src"), F.col("target_person").alias("dst"))
        .agg((F.sum(F.col("weight") * F.col("day_discount")) / F.sum("weight")).alias("discount"))
        .filter(F.col("discount") < 1.0)
    )


def with_discounts(edges: DataFrame, discounts: DataFrame) -> DataFrame:
    """edges (src, dst, weight, ...) with discount: the share of the edge's rank that is sent (1 unless a
    burst scaled it down)."""
    return edges.join(discounts, on=["src", "dst"], how="left").withColumn("discount", F.coalesce(F.col("discount"), F.lit(1.0)))

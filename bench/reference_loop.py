"""The DataFrame PageRank loop the project ran before GraphFrames, kept only so that bench/centrality.py
can measure the engines against it in the same process. Not used by any job.

Each iteration joins the ranks with the transitions, unions every vertex's own state in and aggregates
(one shuffle), then a second job computes the L1 change and the mass to redistribute.
"""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import DataFrame, functions as F

from influence.pagerank import PageRankResult
from transforms.model.graph import initial_ranks, with_transition_share


def _step(ranks: DataFrame, transitions: DataFrame, damping: float, redistributed_mass: float) -> DataFrame:
    messages = (
        ranks.select(F.col("id").alias("src"), "rank")
        .join(transitions, on="src", how="inner")
        .select(
            F.col("dst").alias("id"),
            (F.col("rank") * F.col("share")).alias("received"),
            F.lit(None).cast("double").alias("kept"),
            F.lit(None).cast("double").alias("teleport"),
            F.lit(None).cast("double").alias("previous_rank"),
        )
    )
    own_state = ranks.select("id", F.lit(0.0).alias("received"), "kept", "teleport", F.col("rank").alias("previous_rank"))
    spread = damping * redistributed_mass + 1.0 - damping
    return (
        own_state.unionByName(messages)
        .groupBy("id")
        .agg(
            F.max("kept").alias("kept"),
            F.max("teleport").alias("teleport"),
            (F.lit(damping) * F.sum("received") + F.max("teleport") * F.lit(spread)).alias("rank"),
            F.max("previous_rank").alias("previous_rank"),
        )
    )


def _stats(ranks: DataFrame):
    return ranks.agg(
        F.sum(F.abs(F.col("rank") - F.col("previous_rank"))).alias("l1_change"),
        F.coalesce(F.sum(F.col("rank") * (F.lit(1.0) - F.col("kept"))), F.lit(0.0)).alias("redistributed_mass"),
    ).first()


def loop_pagerank(vertices: DataFrame, edges: DataFrame, damping: float, tolerance: float, max_iterations: int) -> PageRankResult:
    ids = vertices.select("id").distinct()
    vertex_count = ids.count()
    transitions = with_transition_share(edges).persist(StorageLevel.MEMORY_AND_DISK)
    ranks = initial_ranks(ids, transitions, vertex_count).checkpoint(eager=True)
    redistributed_mass = _stats(ranks.withColumn("previous_rank", F.col("rank"))).redistributed_mass
    iterations, l1_change, converged = 0, float("inf"), False
    while iterations < max_iterations:
        iterations += 1
        ranks = _step(ranks, transitions, damping, redistributed_mass).localCheckpoint(eager=False)
        stats = _stats(ranks)
        l1_change, redistributed_mass = stats.l1_change, stats.redistributed_mass
        if l1_change < vertex_count * tolerance:
            converged = True
            break
    transitions.unpersist()
    ranks = ranks.select("id", F.col("rank").alias("pagerank"))
    return PageRankResult(ranks, vertex_count, iterations, converged, l1_change, redistributed_mass)

"""Interactions -> the influence graph, and one step of weighted PageRank on it.

Vertices and edges follow the GraphFrames convention (`id`; `src`, `dst`), so the same frames feed
GraphFrames' algorithms. An edge points from the person who engages to the person engaged with
(A retweets B: A -> B), so rank flows to the engaged.
"""

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def vertex_id(network: Column, account_id: Column) -> Column:
    return F.concat_ws(":", network, account_id)


def to_vertices(interactions: DataFrame) -> DataFrame:
    """One vertex per account seen as actor or target, self-loop-only accounts included."""
    sides = [interactions.select("network", F.col(side).alias("account_id")) for side in ("actor", "target")]
    accounts = sides[0].unionByName(sides[1]).distinct()
    return accounts.select(vertex_id(F.col("network"), F.col("account_id")).alias("id"), "network", "account_id")


def to_edges(interactions: DataFrame) -> DataFrame:
    """Self-loops dropped; repeated (actor, target) pairs aggregated into one weighted edge."""
    return (
        interactions.filter(F.col("actor") != F.col("target"))
        .groupBy("network", "actor", "target")
        .agg(F.sum("weight").alias("weight"), F.count(F.lit(1)).alias("interactions"))
        .select(
            vertex_id(F.col("network"), F.col("actor")).alias("src"),
            vertex_id(F.col("network"), F.col("target")).alias("dst"),
            "weight",
            "interactions",
        )
    )


def with_transition_share(edges: DataFrame) -> DataFrame:
    """Each edge's share of its source's total out-weight: the transition probability src -> dst."""
    out_weight = edges.groupBy("src").agg(F.sum("weight").alias("out_weight"))
    return edges.join(out_weight, on="src", how="inner").select(
        "src", "dst", (F.col("weight") / F.col("out_weight")).alias("share")
    )


def initial_ranks(vertices: DataFrame, transitions: DataFrame, vertex_count: int) -> DataFrame:
    """Uniform start 1/N; a vertex is dangling when it has no out-edge."""
    sources = transitions.select(F.col("src").alias("id")).distinct().withColumn("has_out_edges", F.lit(True))
    return vertices.join(sources, on="id", how="left").select(
        "id",
        F.col("has_out_edges").isNull().alias("is_dangling"),
        F.lit(1.0 / vertex_count).alias("rank"),
    )


def pagerank_step(
    ranks: DataFrame, transitions: DataFrame, damping: float, vertex_count: int, dangling_mass: float
) -> DataFrame:
    """One power iteration, as networkx.pagerank defines it:

    x'(v) = d * sum_{u->v} x(u) * w(u,v) / W(u) + (d * dangling_mass + 1 - d) / N,
    where dangling_mass is the total rank held by vertices without out-edges (spread uniformly).
    Keeps the previous rank as `previous_rank` for the convergence test.
    """
    messages = ranks.select(F.col("id").alias("src"), "rank").join(transitions, on="src", how="inner").select(
        F.col("dst").alias("id"),
        (F.col("rank") * F.col("share")).alias("received"),
        F.lit(None).cast("boolean").alias("is_dangling"),
        F.lit(None).cast("double").alias("previous_rank"),
    )
    # Every vertex sends itself an empty message carrying its own state, so one aggregation
    # (instead of a second join) gives each vertex its incoming rank and its previous values.
    own_state = ranks.select("id", F.lit(0.0).alias("received"), "is_dangling", F.col("rank").alias("previous_rank"))
    teleport = (damping * dangling_mass + 1.0 - damping) / vertex_count
    return (
        own_state.unionByName(messages)
        .groupBy("id")
        .agg(
            F.max("is_dangling").alias("is_dangling"),
            (F.lit(damping) * F.sum("received") + F.lit(teleport)).alias("rank"),
            F.max("previous_rank").alias("previous_rank"),
        )
    )


def convergence_stats(ranks: DataFrame) -> DataFrame:
    """One row: L1 change since the previous step, and the rank mass held by dangling vertices."""
    return ranks.agg(
        F.sum(F.abs(F.col("rank") - F.col("previous_rank"))).alias("l1_change"),
        F.coalesce(F.sum(F.when(F.col("is_dangling"), F.col("rank"))), F.lit(0.0)).alias("dangling_mass"),
    )

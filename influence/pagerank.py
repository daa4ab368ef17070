"""Weighted PageRank by power iteration, with the semantics of networkx.pagerank(G, alpha, weight="weight").

- Ranks start uniform at 1/N and always sum to 1.
- A vertex without out-edges (dangling) spreads its rank uniformly over all N vertices.
- Teleport is uniform: (1 - damping) / N.
- Stop when the L1 change of the rank vector drops below N * tolerance (networkx's `tol`), or after
  max_iterations (then `converged` is False and the last ranks are kept).

Each iteration is message passing over the edge frame (the pattern of GraphFrames' aggregateMessages:
send rank * share along each edge, sum at the destination). Every iteration is checkpointed (locally,
on the executors) so the query plan does not grow with the number of iterations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.graph import convergence_stats, initial_ranks, pagerank_step, with_transition_share

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageRankResult:
    ranks: DataFrame  # id, pagerank
    vertex_count: int
    iterations: int
    converged: bool
    l1_change: float


def weighted_pagerank(
    vertices: DataFrame, edges: DataFrame, damping: float = 0.85, tolerance: float = 1e-6, max_iterations: int = 100
) -> PageRankResult:
    """vertices: id; edges: src, dst, weight (> 0). Edges whose ends are not vertices are ignored."""
    ids = vertices.select("id").distinct()
    vertex_count = ids.count()
    if vertex_count == 0:
        return PageRankResult(ids.select("id", F.lit(0.0).alias("pagerank")), 0, 0, True, 0.0)

    known = ids.select(F.col("id").alias("src"))
    kept_edges = edges.join(known, on="src", how="left_semi").join(
        known.select(F.col("src").alias("dst")), on="dst", how="left_semi"
    )
    transitions = with_transition_share(kept_edges).persist(StorageLevel.MEMORY_AND_DISK)
    ranks = initial_ranks(ids, transitions, vertex_count).checkpoint(eager=True)
    dangling_mass = convergence_stats(ranks.withColumn("previous_rank", F.col("rank"))).first().dangling_mass

    iterations, l1_change, converged = 0, float("inf"), False
    threshold = vertex_count * tolerance
    while iterations < max_iterations:
        iterations += 1
        # Each step joins the previous ranks twice, so an uncut plan would double every iteration.
        # A lazy local checkpoint is filled by the stats job itself: one Spark job per iteration.
        ranks = pagerank_step(ranks, transitions, damping, vertex_count, dangling_mass).localCheckpoint(eager=False)
        stats = convergence_stats(ranks).first()
        l1_change, dangling_mass = stats.l1_change, stats.dangling_mass
        log.debug("pagerank iteration %d: L1 change %.3e", iterations, l1_change)
        if l1_change < threshold:
            converged = True
            break
    transitions.unpersist()
    if not converged:
        log.warning("pagerank stopped after %d iterations without converging (L1 change %.3e)", iterations, l1_change)
    return PageRankResult(ranks.select("id", F.col("rank").alias("pagerank")), vertex_count, iterations, converged, l1_change)

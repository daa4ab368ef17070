"""Weighted PageRank by power iteration, with the semantics of networkx.pagerank(G, alpha, weight="weight").

- Ranks start uniform at 1/N and always sum to 1.
- A vertex without out-edges (dangling) spreads its rank uniformly over all N vertices.
- Teleport is uniform: (1 - damping) / N, or follows a personalization vector (TrustRank).
- A vertex may send only a share `vote` of its rank along its edges; the rest is spread like a dangling
  vertex's rank (anti-gaming, docs/model.md). All votes 1 is standard PageRank.
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

from transforms.graph import (
    convergence_stats,
    initial_ranks,
    pagerank_step,
    to_readers,
    to_trust_votes,
    with_transition_share,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageRankResult:
    ranks: DataFrame  # id, pagerank
    vertex_count: int
    iterations: int
    converged: bool
    l1_change: float
    # The rank dangling vertices hold plus what others do not send along their edges (spread by teleport).
    redistributed_mass: float = 0.0


def weighted_pagerank(
    vertices: DataFrame,
    edges: DataFrame,
    damping: float = 0.85,
    tolerance: float = 1e-6,
    max_iterations: int = 100,
    teleport: DataFrame | None = None,
    votes: DataFrame | None = None,
) -> PageRankResult:
    """vertices: id; edges: src, dst, weight (> 0). Edges whose ends are not vertices are ignored.

    teleport (id, teleport >= 0): personalization weights, normalised to 1 (networkx `personalization`,
    dangling mass following it too); None = uniform. votes (id, vote in (0, 1]): the share of each
    vertex's rank sent along its edges; None = all 1.
    """
    ids = vertices.select("id").distinct()
    vertex_count = ids.count()
    if vertex_count == 0:
        return PageRankResult(ids.select("id", F.lit(0.0).alias("pagerank")), 0, 0, True, 0.0)

    known = ids.select(F.col("id").alias("src"))
    kept_edges = edges.join(known, on="src", how="left_semi").join(
        known.select(F.col("src").alias("dst")), on="dst", how="left_semi"
    )
    transitions = with_transition_share(kept_edges, votes).persist(StorageLevel.MEMORY_AND_DISK)
    ranks = initial_ranks(ids, transitions, vertex_count, teleport, votes).checkpoint(eager=True)
    redistributed_mass = convergence_stats(ranks.withColumn("previous_rank", F.col("rank"))).first().redistributed_mass

    iterations, l1_change, converged = 0, float("inf"), False
    threshold = vertex_count * tolerance
    while iterations < max_iterations:
        iterations += 1
        # Each step joins the previous ranks twice, so an uncut plan would double every iteration.
        # A lazy local checkpoint is filled by the stats job itself: one Spark job per iteration.
        ranks = pagerank_step(ranks, transitions, damping, redistributed_mass).localCheckpoint(eager=False)
        stats = convergence_stats(ranks).first()
        l1_change, redistributed_mass = stats.l1_change, stats.redistributed_mass
        log.debug("pagerank iteration %d: L1 change %.3e", iterations, l1_change)
        if l1_change < threshold:
            converged = True
            break
    transitions.unpersist()
    if not converged:
        log.warning("pagerank stopped after %d iterations without converging (L1 change %.3e)", iterations, l1_change)
    return PageRankResult(
        ranks.select("id", F.col("rank").alias("pagerank")), vertex_count, iterations, converged, l1_change, redistributed_mass
    )


@dataclass(frozen=True)
class TrustResult:
    votes: DataFrame | None  # id, vote; None when no trust was computed (every vote 1)
    readers: int
    iterations: int


def trust_votes(
    vertices: DataFrame,
    edges: DataFrame,
    damping: float,
    tolerance: float,
    max_iterations: int,
    full_vote_trust: float,
    untrusted_vote: float,
    reader_vote: float,
) -> TrustResult:
    """TrustRank: PageRank teleporting only to readers (persons nobody engages with), so trust reaches a
    person only through engagement that starts outside any closed ring; then each person's vote."""
    readers = to_readers(vertices, edges).localCheckpoint()
    reader_count = readers.count()
    if reader_count == 0:
        log.warning("trust: every person is engaged by someone, so trust has nowhere to start; every vote counts fully")
        return TrustResult(None, 0, 0)
    trust = weighted_pagerank(vertices, edges, damping, tolerance, max_iterations, teleport=readers)
    votes = to_trust_votes(
        trust.ranks.withColumnRenamed("pagerank", "trust"), readers, reader_count, damping,
        full_vote_trust, untrusted_vote, reader_vote,
    )
    return TrustResult(votes.localCheckpoint(), reader_count, trust.iterations)

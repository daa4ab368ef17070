"""Weighted PageRank by power iteration, with the semantics of networkx.pagerank(G, alpha, weight="weight").

- Ranks start uniform at 1/N and always sum to 1.
- A vertex without out-edges (dangling) spreads its rank uniformly over all N vertices.
- Teleport is uniform: (1 - damping) / N, or follows a personalization vector (TrustRank).
- A vertex may send only a share `vote` of its rank along its edges; the rest is spread like a dangling
  vertex's rank (anti-gaming, docs/model.md). All votes 1 is standard PageRank.
- Stop when the L1 change of the rank vector drops below N * tolerance (networkx's `tol`), or after
  max_iterations (then `converged` is False and the last ranks are kept).

Two engines compute the same ranks (the same formula, the same stopping rule):
- spark: each iteration is message passing over the edge frame (the pattern of GraphFrames'
  aggregateMessages: send rank * share along each edge, sum at the destination), checkpointed locally
  so the query plan does not grow with the number of iterations;
- local: the edge frame goes to the driver through Arrow and SciPy runs the power iteration on a
  sparse matrix; a Spark job per iteration costs far more than the arithmetic of a small graph.
`engine="auto"` picks local below `local_max_edges` edges.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame, functions as F
from scipy import sparse

from transforms.model.graph import (
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


@dataclass(frozen=True)
class Engine:
    """Where PageRank runs: `name` is "auto", "local" or "spark" ([pagerank] engine)."""

    name: str = "auto"
    local_max_edges: int = 2_000_000

    def pick(self, edge_count: int) -> str:
        if self.name != "auto":
            return self.name
        return "local" if edge_count <= self.local_max_edges else "spark"


def weighted_pagerank(
    vertices: DataFrame,
    edges: DataFrame,
    damping: float = 0.85,
    tolerance: float = 1e-6,
    max_iterations: int = 100,
    teleport: DataFrame | None = None,
    votes: DataFrame | None = None,
    engine: str = "spark",
) -> PageRankResult:
    """vertices: id; edges: src, dst, weight (> 0). Edges whose ends are not vertices are ignored.

    teleport (id, teleport >= 0): personalization weights, normalised to 1 (networkx `personalization`,
    dangling mass following it too); None = uniform. votes (id, vote in (0, 1]): the share of each
    vertex's rank sent along its edges; None = all 1. engine: "spark" or "local" (see the module docstring).
    """
    if engine == "local":
        return local_pagerank(vertices, edges, damping, tolerance, max_iterations, teleport, votes)
    if engine != "spark":
        raise ValueError(f"unknown PageRank engine {engine!r}: expected 'spark' or 'local'")
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


def local_pagerank(
    vertices: DataFrame,
    edges: DataFrame,
    damping: float,
    tolerance: float,
    max_iterations: int,
    teleport: DataFrame | None = None,
    votes: DataFrame | None = None,
) -> PageRankResult:
    """weighted_pagerank in the driver: the same formula (transforms.model.graph.pagerank_step) as a
    sparse matrix-vector product. The caller bounds the graph's size (Engine.local_max_edges)."""
    spark = vertices.sparkSession
    ids = vertices.select("id").distinct().toPandas()["id"]
    vertex_count = len(ids)
    if vertex_count == 0:
        return PageRankResult(spark.createDataFrame([], "id string, pagerank double"), 0, 0, True, 0.0)
    index = pd.Index(ids)
    edge_table = edges.select("src", "dst", F.col("weight").cast("double").alias("weight")).toPandas()
    sources, targets = index.get_indexer(edge_table["src"]), index.get_indexer(edge_table["dst"])
    known = (sources >= 0) & (targets >= 0)
    sources, targets, weights = sources[known], targets[known], edge_table["weight"].to_numpy()[known]

    vote = np.ones(vertex_count)
    if votes is not None:
        vote_table = votes.select("id", "vote").toPandas()
        positions = index.get_indexer(vote_table["id"])
        vote[positions[positions >= 0]] = vote_table["vote"].to_numpy()[positions >= 0]
    out_weight = np.bincount(sources, weights=weights, minlength=vertex_count)
    # x'(v) = d * sum_{u->v} x(u) * vote(u) * w(u,v) / W(u) + p(v) * (d * R + 1 - d)
    transitions = sparse.csr_matrix(
        (vote[sources] * weights / out_weight[sources], (targets, sources)), shape=(vertex_count, vertex_count)
    )
    kept = np.where(out_weight > 0, vote, 0.0)
    if teleport is None:
        spread_to = np.full(vertex_count, 1.0 / vertex_count)
    else:
        teleport_table = teleport.select("id", F.col("teleport").cast("double")).toPandas()
        positions = index.get_indexer(teleport_table["id"])
        spread_to = np.bincount(
            positions[positions >= 0], weights=teleport_table["teleport"].to_numpy()[positions >= 0], minlength=vertex_count
        )
        spread_to = spread_to / spread_to.sum()

    ranks = np.full(vertex_count, 1.0 / vertex_count)
    redistributed_mass = float(ranks @ (1.0 - kept))
    iterations, l1_change, converged = 0, float("inf"), False
    threshold = vertex_count * tolerance
    while iterations < max_iterations:
        iterations += 1
        previous = ranks
        ranks = damping * (transitions @ previous) + spread_to * (damping * redistributed_mass + 1.0 - damping)
        l1_change = float(np.abs(ranks - previous).sum())
        redistributed_mass = float(ranks @ (1.0 - kept))
        if l1_change < threshold:
            converged = True
            break
    if not converged:
        log.warning("pagerank stopped after %d iterations without converging (L1 change %.3e)", iterations, l1_change)
    frame = spark.createDataFrame(pd.DataFrame({"id": index.to_numpy(dtype=object), "pagerank": ranks}))
    return PageRankResult(frame, vertex_count, iterations, converged, l1_change, redistributed_mass)


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
    engine: str = "spark",
) -> TrustResult:
    """TrustRank: PageRank teleporting only to readers (persons nobody engages with), so trust reaches a
    person only through engagement that starts outside any closed ring; then each person's vote."""
    readers = to_readers(vertices, edges).localCheckpoint()
    reader_count = readers.count()
    if reader_count == 0:
        log.warning("trust: every person is engaged by someone, so trust has nowhere to start; every vote counts fully")
        return TrustResult(None, 0, 0)
    trust = weighted_pagerank(vertices, edges, damping, tolerance, max_iterations, teleport=readers, engine=engine)
    votes = to_trust_votes(
        trust.ranks.withColumnRenamed("pagerank", "trust"),
        readers,
        reader_count,
        damping,
        full_vote_trust,
        untrusted_vote,
        reader_vote,
    )
    return TrustResult(votes.localCheckpoint(), reader_count, trust.iterations)

"""Weighted PageRank by power iteration, with the semantics of networkx.pagerank(G, alpha, personalization,
weight="weight", nstart).

- Ranks start uniform at 1/N, or from a warm start (last night's ranks; new vertices at 1/N), and
  always sum to 1.
- A vertex without out-edges (dangling) spreads its rank like the teleport.
- Teleport is uniform: (1 - damping) / N, or follows a personalization vector (TrustRank).
- A vertex may send only a share `vote` of its rank along its edges; the rest is spread like a dangling
  vertex's rank (anti-gaming, docs/model.md). All votes 1 is standard PageRank.
- Stop once the ranks are within max_error (L1) of the fixed point: one step of this iteration shrinks
  the L1 distance to it by at least d (its matrix, dangling and unsent rank included, is column-stochastic),
  so that distance is at most d / (1 - d) x the last step's L1 change. With max_error None, networkx's
  rule instead: the L1 change below N * tolerance (`tol`). After max_iterations without either,
  `converged` is False and the last ranks are kept.

Two engines compute the same ranks (the formula of transforms.model.graph, the same stopping rule):
- graphframes: GraphFrames' Pregel API. Each superstep sends rank * share along every edge and sums it
  at the destination; the vertex update adds the teleport and keeps the two global sums (the mass to
  redistribute and the L1 change) as window columns, and every vertex votes to halt together once the
  L1 change is below the threshold. A local checkpoint of every superstep keeps the plan from growing and
  is the only copy of the state Pregel keeps. Vertices are numbered (long ids) for the run, compiled
  expressions and broadcast joins are on for it, and the supersteps run on shuffle partitions sized to the
  graph (influence.session.superstep_settings).
- local: the edge frame goes to the driver through Arrow and SciPy runs the power iteration on a
  sparse matrix; a Spark job per iteration costs far more than the arithmetic of a small graph.
`Engine("auto")` picks local up to `local_max_edges` edges, within what the driver's memory holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from graphframes import GraphFrame
from graphframes.lib import Pregel
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, functions as F
from scipy import sparse

from influence.arrays import DriverGraph, fetch_graph, id_frame, values_by_position
from influence.session import graph_session_settings, superstep_settings
from transforms.model.graph import initial_ranks, l1_change, next_rank, unsent_mass, with_transition_share
from transforms.model.trust import to_trust_votes

log = logging.getLogger(__name__)

ENGINES = ("graphframes", "local")
# Pregel checkpoints its vertex frame every this many supersteps, locally. Every superstep: on the Higgs retweet
# graph a 13-superstep run took 12.5-14.8 s against 14.4-16.7 s every second superstep, the difference in the
# first supersteps' planning (docs/model.md). And with Pregel's own cache off (weighted_pagerank), a superstep
# not checkpointed would be computed again by the next one.
CHECKPOINT_INTERVAL = 1


@dataclass(frozen=True)
class PageRankResult:
    ranks: DataFrame  # id, pagerank
    vertex_count: int
    iterations: int
    converged: bool
    l1_change: float
    # The rank dangling vertices hold plus what others do not send along their edges (spread by teleport).
    redistributed_mass: float = 0.0
    damping: float = 0.85

    @property
    def error_bound(self) -> float:
        """An upper bound of the L1 distance of `ranks` to the fixed point: d / (1 - d) x the last change."""
        return self.damping / (1.0 - self.damping) * self.l1_change


def stop_threshold(vertex_count: int, damping: float, tolerance: float, max_error: float | None) -> float:
    """The L1 change below which the iteration stops (see the module docstring)."""
    if max_error is None:
        return vertex_count * tolerance
    return max_error * (1.0 - damping) / damping


@dataclass(frozen=True)
class EngineChoice:
    engine: str  # "graphframes" or "local"
    reason: str  # why, for the log
    auto: bool = False  # chosen by `auto` from the edge count
    local_max_edges: int = 0


# Driver memory `auto` allows the local engine per edge. Measured: the Python process grows by about 81 bytes
# an edge at its peak (808 MB on 9,990,932 edges, bench/centrality.py gen10m); the rest is room for the JVM's Arrow copy.
LOCAL_DRIVER_BYTES_PER_EDGE = 400


@dataclass(frozen=True)
class Engine:
    """Where PageRank runs: `name` is "auto", "graphframes" or "local" ([pagerank] engine). `auto` runs
    local up to local_max_edges edges, and never more than driver_memory_bytes allows
    (LOCAL_DRIVER_BYTES_PER_EDGE); 0 = no memory bound."""

    name: str = "auto"
    local_max_edges: int = 10_000_000
    driver_memory_bytes: int = 0

    def pick(self, edge_count: int) -> EngineChoice:
        if self.name != "auto":
            return EngineChoice(self.name, f"pagerank.engine = {self.name!r}", False, self.local_max_edges)
        limit, limit_name = self.local_max_edges, "pagerank.local_max_edges"
        memory_limit = self.driver_memory_bytes // LOCAL_DRIVER_BYTES_PER_EDGE
        if self.driver_memory_bytes and memory_limit < limit:
            limit, limit_name = memory_limit, f"what spark.driver_memory holds ({LOCAL_DRIVER_BYTES_PER_EDGE} bytes an edge)"
        local = edge_count <= limit
        relation = "<=" if local else ">"
        reason = f"auto: {edge_count:,} edges {relation} {limit_name} {limit:,}"
        return EngineChoice("local" if local else "graphframes", reason, True, limit)


def weighted_pagerank(
    vertices: DataFrame,
    edges: DataFrame,
    damping: float = 0.85,
    tolerance: float = 1e-6,
    max_iterations: int = 100,
    teleport: DataFrame | None = None,
    votes: DataFrame | None = None,
    start: DataFrame | None = None,
    engine: str = "graphframes",
    max_error: float | None = None,
    fetched: DriverGraph | None = None,
) -> PageRankResult:
    """vertices: id; edges: src, dst, weight (> 0), and optionally discount (the share of the edge's
    rank that is sent, transforms.model.trust). Edges whose ends are not vertices are ignored.

    teleport (id, teleport >= 0): personalization weights, normalised to 1 (networkx `personalization`,
    dangling mass following it too); None = uniform. votes (id, vote in (0, 1]): the share of each
    vertex's rank sent along its edges; None = all 1. start (id, rank): a warm start (networkx `nstart`;
    vertices without one start at 1/N, then all are renormalised); None = uniform.
    engine: "graphframes" or "local" (see the module docstring). max_error: stop within this L1 distance
    of the fixed point; None = networkx's rule with `tolerance`. fetched: for the local engine, the graph of
    vertices and edges already in the driver (its edge values `weight` and, optionally, `discount`).
    """
    if engine == "local":
        if fetched is None:
            fetched = fetch_graph(vertices, edges, "weight", *(["discount"] if "discount" in edges.columns else []))
        spark = vertices.sparkSession
        return local_pagerank(spark, fetched, damping, tolerance, max_iterations, teleport, votes, start, max_error)
    if engine != "graphframes":
        raise ValueError(f"unknown PageRank engine {engine!r}: expected one of {', '.join(ENGINES)}")
    spark = vertices.sparkSession
    # Pregel joins the vertex state with the edges twice a superstep: long vertex numbers make those
    # joins and shuffles cheaper than string ids. The numbers are materialised once (they are not
    # deterministic) and mapped back at the end.
    numbers = vertices.select("id").distinct().withColumn("vertex", F.monotonically_increasing_id()).localCheckpoint()
    vertex_count = numbers.count()
    if vertex_count == 0:
        return PageRankResult(numbers.select("id", F.lit(0.0).alias("pagerank")), 0, 0, True, 0.0, damping=damping)

    with graph_session_settings(spark):
        numbered_edges = numbered(numbered(edges, numbers, "src"), numbers, "dst")
        transitions = with_transition_share(numbered_edges, numbered(votes, numbers)).localCheckpoint()
        state = initial_ranks(
            numbers.select(F.col("vertex").alias("id")),
            transitions,
            vertex_count,
            numbered(teleport, numbers),
            numbered(start, numbers),
        ).localCheckpoint()

        new_rank = next_rank(Pregel.msg(), F.col("redistributed_mass"), damping)
        threshold = stop_threshold(vertex_count, damping, tolerance, max_error)
        with superstep_settings(spark, transitions.count()) as partitions:
            # Over more than one partition, the edges are cached as Pregel lays them out, so that its supersteps read
            # them there instead of shuffling every edge again; on one, reading the checkpoint costs less.
            edges_cached = pregel_edge_layout(transitions).persist(StorageLevel.MEMORY_AND_DISK) if partitions > 1 else None
            final = (
                GraphFrame(state.withColumnRenamed("rank", "start_rank"), transitions)
                .pregel.setMaxIter(max_iterations)
                .setCheckpointInterval(CHECKPOINT_INTERVAL)
                .setUseLocalCheckpoints(True)
                # Pregel would also cache the vertex state each superstep, a second copy of what the checkpoint holds,
                # built again every superstep, and the edges (above).
                .setIntermediateStorageLevel(StorageLevel.NONE)
                .withVertexColumn("rank", F.col("start_rank"), new_rank)
                .withVertexColumn("redistributed_mass", unsent_mass(F.col("start_rank")), unsent_mass(new_rank))
                .withVertexColumn("l1_change", F.lit(float("inf")), l1_change(new_rank, F.col("rank")))
                .withVertexColumn("iteration", F.lit(0), F.col("iteration") + 1)
                # One global vote: every vertex stays active until the whole vector's L1 change is small enough.
                .setInitialActiveVertexExpression(F.lit(True))
                .setUpdateActiveVertexExpression(l1_change(new_rank, F.col("rank")) >= F.lit(threshold))
                .setStopIfAllNonActiveVertices(True)
                .required_src_columns("rank")
                .sendMsgToDst(Pregel.src("rank") * Pregel.edge("share"))
                .aggMsgs(F.sum(Pregel.msg()))
                .run()
            )
        stats = final.select("iteration", "l1_change", "redistributed_mass", "_pregel_is_active").first()
        ranks = (
            final.select(F.col("id").alias("vertex"), F.col("rank").alias("pagerank"))
            .join(numbers, on="vertex")
            .select("id", "pagerank")
            .localCheckpoint()
        )
    final.unpersist()
    if edges_cached is not None:
        edges_cached.unpersist()
    iterations, change = int(stats.iteration), float(stats.l1_change)
    converged = not stats._pregel_is_active
    if not converged:
        log.warning("pagerank stopped after %d iterations without converging (L1 change %.3e)", iterations, change)
    return PageRankResult(ranks, vertex_count, iterations, converged, change, float(stats.redistributed_mass), damping)


def pregel_edge_layout(edges: DataFrame) -> DataFrame:
    """`edges` as GraphFrames 0.11's Pregel.run selects and partitions them before its supersteps. Cached, the
    same plan is found in Spark's cache by each superstep's query (tests/unit/model/test_pagerank.py)."""
    return edges.select(
        F.col("src").alias("edge_src"), F.col("dst").alias("edge_dst"), F.struct(F.col("*")).alias("edge")
    ).repartition(F.col("edge_src"))


def numbered(frame: DataFrame | None, numbers: DataFrame, column: str = "id") -> DataFrame | None:
    """frame with its `column` of string ids replaced by the vertex numbers (id, vertex); rows whose id
    is not a vertex are dropped, as the engine ignores them."""
    if frame is None:
        return None
    lookup = numbers.select(F.col("id").alias(column), F.col("vertex").alias("_vertex"))
    others = [c for c in frame.columns if c != column]
    return frame.join(lookup, on=column).select(F.col("_vertex").alias(column), *others)


def local_pagerank(
    spark: SparkSession,
    graph: DriverGraph,
    damping: float,
    tolerance: float,
    max_iterations: int,
    teleport: DataFrame | None = None,
    votes: DataFrame | None = None,
    start: DataFrame | None = None,
    max_error: float | None = None,
) -> PageRankResult:
    """weighted_pagerank in the driver: the same formula (transforms.model.graph.next_rank) as a
    sparse matrix-vector product. The caller bounds the graph's size (Engine.local_max_edges)."""
    ids, sources, targets = graph.ids, graph.sources, graph.targets
    vertex_count = graph.vertex_count
    if vertex_count == 0:
        return PageRankResult(spark.createDataFrame([], "id string, pagerank double"), 0, 0, True, 0.0, damping=damping)
    weights = graph.edge_values["weight"]
    discounts = graph.edge_values.get("discount", np.ones(len(sources)))

    vote = np.ones(vertex_count)
    if votes is not None:
        at, values = values_by_position(votes, "vote", ids)
        vote[at] = values
    out_weight = np.bincount(sources, weights=weights, minlength=vertex_count)
    # x'(v) = d * sum_{u->v} x(u) * vote(u) * discount(u,v) * w(u,v) / W(u) + p(v) * (d * R + 1 - d)
    shares = vote[sources] * discounts * weights / out_weight[sources]
    transitions = sparse.csr_matrix((shares, (targets, sources)), shape=(vertex_count, vertex_count))
    kept = np.bincount(sources, weights=shares, minlength=vertex_count)
    if teleport is None:
        spread_to = np.full(vertex_count, 1.0 / vertex_count)
    else:
        at, values = values_by_position(teleport, "teleport", ids)
        spread_to = np.bincount(at, weights=values, minlength=vertex_count)
        spread_to = spread_to / spread_to.sum()

    ranks = np.full(vertex_count, 1.0 / vertex_count)
    if start is not None:
        at, values = values_by_position(start, "rank", ids)
        ranks[at] = values
        ranks = ranks / ranks.sum()
    redistributed_mass = float(ranks @ (1.0 - kept))
    iterations, l1_change, converged = 0, float("inf"), False
    threshold = stop_threshold(vertex_count, damping, tolerance, max_error)
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
    frame = id_frame(spark, ids, "id string, pagerank double", pagerank=ranks)
    return PageRankResult(frame, vertex_count, iterations, converged, l1_change, redistributed_mass, damping)


@dataclass(frozen=True)
class TrustResult:
    votes: DataFrame | None  # id, vote; None when no trust was computed (every vote 1)
    seeds: int
    iterations: int


def trust_votes(
    vertices: DataFrame,
    edges: DataFrame,
    seeds: DataFrame,
    seed_count: int,
    damping: float,
    tolerance: float,
    max_iterations: int,
    full_vote_trust: float,
    untrusted_vote: float,
    engine: str = "graphframes",
    max_error: float | None = None,
    fetched: DriverGraph | None = None,
) -> TrustResult:
    """TrustRank: PageRank teleporting only to the seeds (id, teleport: transforms.model.trust.to_seeds,
    seed_count of them, materialised by the caller), so trust reaches a person only through engagement
    from the trusted; then each person's vote. stages.score fails the night when there is no seed."""
    if seed_count == 0:
        raise ValueError("trust_votes needs at least one seed")
    trust = weighted_pagerank(
        vertices,
        edges,
        damping,
        tolerance,
        max_iterations,
        teleport=seeds.select("id", "teleport"),
        engine=engine,
        max_error=max_error,
        fetched=fetched,
    )
    votes = to_trust_votes(
        trust.ranks.withColumnRenamed("pagerank", "trust"), seeds, seed_count, damping, full_vote_trust, untrusted_vote
    )
    return TrustResult(votes.localCheckpoint(), seed_count, trust.iterations)

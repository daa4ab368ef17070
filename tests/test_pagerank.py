"""Weighted PageRank against networkx.pagerank on the same graph: expected values come from networkx."""

from __future__ import annotations

import networkx as nx
import pytest
from pyspark.sql import functions as F
from scipy.stats import spearmanr

from influence.pagerank import weighted_pagerank
from transforms.graph import to_edges, to_vertices
from transforms.silver import to_interactions
from transforms.snap import with_snap_fields

INTERACTION_SCHEMA = "network string, actor string, target string, weight double"

# Hand-built: a chain into a hub, a dangling sink (d), repeated pairs, a self-loop, an isolated pair.
HAND_BUILT = [
    ("a", "b", 1.0), ("a", "b", 2.0),   # repeated pair: one edge of weight 3
    ("a", "c", 1.0),
    ("b", "c", 1.0),
    ("c", "a", 0.5),
    ("c", "d", 4.0),                     # d has no out-edge: dangling
    ("e", "e", 7.0),                     # self-loop only: e is a dangling vertex with no in-edges
    ("x", "y", 1.0),                     # isolated pair: y dangling
]


def networkx_graph(rows):
    graph = nx.DiGraph()
    for actor, target, weight in rows:
        graph.add_node(f"snap:{actor}")
        graph.add_node(f"snap:{target}")
        if actor == target:
            continue
        edge = graph.get_edge_data(f"snap:{actor}", f"snap:{target}")
        total = weight + (edge["weight"] if edge else 0.0)
        graph.add_edge(f"snap:{actor}", f"snap:{target}", weight=total)
    return graph


def ours(spark, rows, **settings):
    interactions = spark.createDataFrame([("snap", a, t, w) for a, t, w in rows], INTERACTION_SCHEMA)
    result = weighted_pagerank(to_vertices(interactions), to_edges(interactions), **settings)
    return result, {row.id: row.pagerank for row in result.ranks.collect()}


def l1(left: dict, right: dict) -> float:
    assert set(left) == set(right)
    return sum(abs(left[k] - right[k]) for k in left)


def test_matches_networkx_on_hand_built_graph_to_1e_9(spark):
    expected = nx.pagerank(networkx_graph(HAND_BUILT), alpha=0.85, weight="weight", tol=1e-13, max_iter=1000)
    result, ranks = ours(spark, HAND_BUILT, damping=0.85, tolerance=1e-13, max_iterations=1000)
    assert result.converged
    assert result.vertex_count == 7  # a b c d e x y
    assert l1(ranks, expected) < 1e-9
    assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)


def test_same_stopping_rule_as_networkx_with_default_tolerance(spark):
    # Both stop at the first iteration whose L1 change is below N * 1e-6, so even the loose
    # default answer matches networkx's to rounding error.
    expected = nx.pagerank(networkx_graph(HAND_BUILT), alpha=0.85, weight="weight")
    _, ranks = ours(spark, HAND_BUILT, damping=0.85, tolerance=1e-6, max_iterations=100)
    assert l1(ranks, expected) < 1e-12


def test_other_damping(spark):
    expected = nx.pagerank(networkx_graph(HAND_BUILT), alpha=0.5, weight="weight", tol=1e-13, max_iter=1000)
    _, ranks = ours(spark, HAND_BUILT, damping=0.5, tolerance=1e-13, max_iterations=1000)
    assert l1(ranks, expected) < 1e-9


def test_hand_worked_two_vertex_cycle(spark):
    # a <-> b with weights: by symmetry of the cycle each holds 1/2 whatever the damping.
    _, ranks = ours(spark, [("a", "b", 5.0), ("b", "a", 1.0)], damping=0.85, tolerance=1e-12, max_iterations=200)
    assert ranks == pytest.approx({"snap:a": 0.5, "snap:b": 0.5}, abs=1e-12)


def test_single_dangling_edge_by_hand(spark):
    # a -> b, b dangling. Fixed point: b = 0.85 a + (0.85 b + 0.15)/2 ... solved by hand:
    # a = (0.85 b + 0.15) / 2 and a + b = 1  =>  a = 0.5 * (0.85 (1 - a) + 0.15)  =>  a = 1 / 2.85.
    _, ranks = ours(spark, [("a", "b", 1.0)], damping=0.85, tolerance=1e-14, max_iterations=500)
    assert ranks["snap:a"] == pytest.approx(1 / 2.85, abs=1e-10)
    assert ranks["snap:b"] == pytest.approx(1 - 1 / 2.85, abs=1e-10)


def test_iteration_guard_reports_non_convergence(spark):
    result, ranks = ours(spark, HAND_BUILT, damping=0.85, tolerance=1e-15, max_iterations=2)
    assert (result.iterations, result.converged) == (2, False)
    assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)


def test_empty_graph(spark):
    empty = spark.createDataFrame([], INTERACTION_SCHEMA)
    result = weighted_pagerank(to_vertices(empty), to_edges(empty))
    assert (result.vertex_count, result.ranks.count()) == (0, 0)


def test_higgs_retweet_network_agrees_with_networkx(spark, shared_data):
    """Done-when of the foundation: Spearman >= 0.99 and >= 95 of the top 100 shared."""
    path = shared_data / "higgs-twitter" / "higgs-retweet_network.edgelist.gz"
    lines = spark.read.text(str(path)).select(
        F.lit("snap").alias("source"),
        F.lit(path.name).alias("file"),
        F.monotonically_increasing_id().alias("line_number"),
        F.col("value").alias("line"),
    )
    interactions = to_interactions(with_snap_fields(lines, "snap"), None)
    result = weighted_pagerank(to_vertices(interactions), to_edges(interactions))
    ranks = result.ranks.toPandas().set_index("id")["pagerank"]  # 256k rows: test-only comparison

    graph = nx.DiGraph()
    with_prefix = lambda v: f"snap:{v}"  # noqa: E731
    import gzip

    with gzip.open(path, "rt") as handle:
        for line in handle:
            source, target, weight = line.split()
            graph.add_edge(with_prefix(source), with_prefix(target), weight=float(weight))
    expected = nx.pagerank(graph, alpha=0.85, weight="weight")

    assert result.converged
    assert len(ranks) == graph.number_of_nodes() == 256_491
    ordered = sorted(expected)
    rho = spearmanr([expected[v] for v in ordered], [ranks[v] for v in ordered]).statistic
    top_expected = set(sorted(expected, key=expected.get, reverse=True)[:100])
    top_ours = set(ranks.sort_values(ascending=False).index[:100])
    assert rho >= 0.99
    assert len(top_expected & top_ours) >= 95
    assert sum(abs(expected[v] - ranks[v]) for v in ordered) < 1e-6

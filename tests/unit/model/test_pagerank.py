"""Weighted PageRank against networkx.pagerank on the same graph: expected values come from networkx.

Every test runs on both engines (influence/pagerank.py): `graphframes` (GraphFrames' Pregel API) and
`local` (SciPy in the driver); they must also agree with each other to 1e-9."""

from __future__ import annotations

import threading
import time

import networkx as nx
import pytest
from graphframes.lib import Pregel
from scipy.stats import spearmanr

from influence import session
from influence.arrays import fetch_graph
from influence.config import load_config
from influence.pagerank import Engine, weighted_pagerank
from influence.session import COMPILED_EXPRESSIONS, graph_session_settings, session_settings
from stages.landing import LandedFile, read_lines
from transforms.connectors.snap import with_snap_fields
from transforms.model.graph import to_edges, to_vertices
from transforms.model.trust import with_discounts
from transforms.silver.conform import to_interactions

INTERACTION_SCHEMA = "network string, actor string, target string, weight double"

# Hand-built: a chain into a hub, a dangling sink (d), repeated pairs, a self-loop, an isolated pair.
HAND_BUILT = [
    ("a", "b", 1.0),
    ("a", "b", 2.0),  # repeated pair: one edge of weight 3
    ("a", "c", 1.0),
    ("b", "c", 1.0),
    ("c", "a", 0.5),
    ("c", "d", 4.0),  # d has no out-edge: dangling
    ("e", "e", 7.0),  # self-loop only: e is a dangling vertex with no in-edges
    ("x", "y", 1.0),  # isolated pair: y dangling
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


@pytest.fixture(params=["graphframes", "local"])
def engine(request) -> str:
    return request.param


def ours(spark, rows, engine, **settings):
    interactions = spark.createDataFrame([("snap", a, t, w) for a, t, w in rows], INTERACTION_SCHEMA)
    result = weighted_pagerank(to_vertices(interactions), to_edges(interactions), engine=engine, **settings)
    return result, {row.id: row.pagerank for row in result.ranks.collect()}


def l1(left: dict, right: dict) -> float:
    assert set(left) == set(right)
    return sum(abs(left[k] - right[k]) for k in left)


def test_matches_networkx_on_hand_built_graph_to_1e_9(spark, engine):
    expected = nx.pagerank(networkx_graph(HAND_BUILT), alpha=0.85, weight="weight", tol=1e-13, max_iter=1000)
    result, ranks = ours(spark, HAND_BUILT, engine, damping=0.85, tolerance=1e-13, max_iterations=1000)
    assert result.converged
    assert result.vertex_count == 7  # a b c d e x y
    assert l1(ranks, expected) < 1e-9
    assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)


def test_same_stopping_rule_as_networkx_with_default_tolerance(spark, engine):
    # Both stop at the first iteration whose L1 change is below N * 1e-6, so even the loose
    # default answer matches networkx's to rounding error.
    expected = nx.pagerank(networkx_graph(HAND_BUILT), alpha=0.85, weight="weight")
    _, ranks = ours(spark, HAND_BUILT, engine, damping=0.85, tolerance=1e-6, max_iterations=100)
    assert l1(ranks, expected) < 1e-12


def test_other_damping(spark, engine):
    # the same tolerance on both sides: the same iterations, so the same vector to rounding error
    expected = nx.pagerank(networkx_graph(HAND_BUILT), alpha=0.5, weight="weight", tol=1e-9)
    _, ranks = ours(spark, HAND_BUILT, engine, damping=0.5, tolerance=1e-9, max_iterations=1000)
    assert l1(ranks, expected) < 1e-12


def test_hand_worked_two_vertex_cycle(spark, engine):
    # a <-> b with weights: by symmetry of the cycle each holds 1/2 whatever the damping.
    _, ranks = ours(spark, [("a", "b", 5.0), ("b", "a", 1.0)], engine, damping=0.85, tolerance=1e-12, max_iterations=200)
    assert ranks == pytest.approx({"snap:a": 0.5, "snap:b": 0.5}, abs=1e-12)


def test_single_dangling_edge_by_hand(spark, engine):
    # a -> b, b dangling. Fixed point: b = 0.85 a + (0.85 b + 0.15)/2 ... solved by hand:
    # a = (0.85 b + 0.15) / 2 and a + b = 1  =>  a = 0.5 * (0.85 (1 - a) + 0.15)  =>  a = 1 / 2.85.
    # Stopping at L1 change < 2e-12 leaves at most 2e-12 x 0.85 / 0.15 ~ 1.1e-11 to the fixed point.
    _, ranks = ours(spark, [("a", "b", 1.0)], engine, damping=0.85, tolerance=1e-12, max_iterations=500)
    assert ranks["snap:a"] == pytest.approx(1 / 2.85, abs=1e-10)
    assert ranks["snap:b"] == pytest.approx(1 - 1 / 2.85, abs=1e-10)


def test_iteration_guard_reports_non_convergence(spark, engine):
    result, ranks = ours(spark, HAND_BUILT, engine, damping=0.85, tolerance=1e-15, max_iterations=2)
    assert (result.iterations, result.converged) == (2, False)
    assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)


def test_empty_graph(spark, engine):
    empty = spark.createDataFrame([], INTERACTION_SCHEMA)
    result = weighted_pagerank(to_vertices(empty), to_edges(empty), engine=engine)
    assert (result.vertex_count, result.ranks.count()) == (0, 0)


def test_personalization_matches_networkx(spark, engine):
    """TrustRank's teleport: only to the given vertices, in proportion to their weights (dangling too)."""
    seeds = {"snap:a": 1.0, "snap:x": 3.0}
    # the same tolerance on both sides: the same iterations, so the same vector to rounding error
    expected = nx.pagerank(networkx_graph(HAND_BUILT), alpha=0.85, personalization=seeds, weight="weight", tol=1e-9)
    interactions = spark.createDataFrame([("snap", a, t, w) for a, t, w in HAND_BUILT], INTERACTION_SCHEMA)
    teleport = spark.createDataFrame(list(seeds.items()), "id string, teleport double")
    result = weighted_pagerank(
        to_vertices(interactions), to_edges(interactions), 0.85, 1e-9, 1000, teleport=teleport, engine=engine
    )
    ranks = {row.id: row.pagerank for row in result.ranks.collect()}
    assert l1(ranks, expected) < 1e-12
    assert ranks["snap:e"] == pytest.approx(0.0, abs=1e-12)  # nothing teleports to e and nobody links to it


def test_votes_match_networkx_on_the_equivalent_graph(spark, engine):
    """A vote f < 1 sends f of the rank along the edges and spreads 1 - f over all N vertices: the same chain
    as extra edges u -> v to every vertex (itself included) of weight W(u) (1 - f) / (f N)."""
    votes = {"snap:a": 0.3, "snap:c": 0.5, "snap:x": 0.1, "snap:d": 0.2}  # d is dangling: its vote is moot
    graph = networkx_graph(HAND_BUILT)
    nodes = list(graph.nodes)
    for node, vote in votes.items():
        out_weight = sum(data["weight"] for _, _, data in graph.out_edges(node, data=True))
        if out_weight == 0:
            continue
        for other in nodes:
            extra = out_weight * (1 - vote) / (vote * len(nodes))
            current = graph.get_edge_data(node, other, {"weight": 0.0})["weight"]
            graph.add_edge(node, other, weight=current + extra)
    # the same tolerance on both sides: the same iterations, so the same vector to rounding error
    expected = nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-9)
    interactions = spark.createDataFrame([("snap", a, t, w) for a, t, w in HAND_BUILT], INTERACTION_SCHEMA)
    vote_frame = spark.createDataFrame(list(votes.items()), "id string, vote double")
    result = weighted_pagerank(
        to_vertices(interactions), to_edges(interactions), 0.85, 1e-9, 1000, votes=vote_frame, engine=engine
    )
    ranks = {row.id: row.pagerank for row in result.ranks.collect()}
    assert l1(ranks, expected) < 1e-12
    assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)


# Burst discounts (transforms.model.trust): the share of an edge's rank that it still sends.
DISCOUNTS = {("snap:a", "snap:b"): 0.5, ("snap:c", "snap:d"): 0.25, ("snap:x", "snap:y"): 0.1}


@pytest.mark.parametrize("path", ["graphframes", "local", "local, fetched"])
def test_discounts_match_networkx_on_the_equivalent_graph(spark, path):
    """An edge discounted to f sends f of its share and the rest is spread over all N vertices: the same chain
    as that edge at weight w f, plus extra edges from its source to every vertex (itself included) that share
    W(u) minus what u sends. `local, fetched` is a night's path: the graph fetched once by the graph stage
    and the few discounted edges added to it from a frame (influence.arrays.DriverGraph.with_edge_values)."""
    graph = networkx_graph(HAND_BUILT)
    nodes = list(graph.nodes)
    equivalent = nx.DiGraph()
    equivalent.add_nodes_from(nodes)
    for node in nodes:
        out_edges = list(graph.out_edges(node, data="weight"))
        for source, target, weight in out_edges:
            equivalent.add_edge(source, target, weight=weight * DISCOUNTS.get((source, target), 1.0))
        unsent = sum(weight * (1 - DISCOUNTS.get((source, target), 1.0)) for source, target, weight in out_edges)
        for other in nodes if unsent else ():
            current = equivalent.get_edge_data(node, other, {"weight": 0.0})["weight"]
            equivalent.add_edge(node, other, weight=current + unsent / len(nodes))
    expected = nx.pagerank(equivalent, alpha=0.85, weight="weight", tol=1e-9)

    interactions = spark.createDataFrame([("snap", a, t, w) for a, t, w in HAND_BUILT], INTERACTION_SCHEMA)
    vertices, edges = to_vertices(interactions), to_edges(interactions)
    discounts = spark.createDataFrame([(*pair, f) for pair, f in DISCOUNTS.items()], "src string, dst string, discount double")
    if path == "local, fetched":
        fetched = fetch_graph(vertices, edges, "weight").with_edge_values(discounts, "discount", 1.0)
        result = weighted_pagerank(vertices, edges, 0.85, 1e-9, 1000, engine="local", fetched=fetched)
    else:
        result = weighted_pagerank(vertices, with_discounts(edges, discounts), 0.85, 1e-9, 1000, engine=path)
    ranks = {row.id: row.pagerank for row in result.ranks.collect()}
    assert l1(ranks, expected) < 1e-12
    assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)


HIGGS_KIND_WEIGHTS = {"RT": 1.0, "MT": 0.5, "RE": 0.75}  # reshare, mention, reply: the model's defaults
HIGGS_RUN_END = 1_341_705_600  # 2012-07-08 00:00 UTC, the end of run date 2012-07-07


@pytest.fixture(scope="module")
def higgs_activity(spark, shared_data):
    """The whole Higgs activity stream with kind weights and a 30-day half-life (run date 2012-07-07):
    networkx's ranks, computed from the raw lines in plain Python, and our graph frames, built once for
    both engines."""
    import datetime as dt
    import gzip

    from influence.config import KindWeights
    from transforms.model.weights import with_model_weights

    path = shared_data / "higgs-twitter" / "higgs-activity_time.txt.gz"
    graph = nx.DiGraph()
    with gzip.open(path, "rt") as handle:
        for line in handle:
            actor, target, timestamp, kind = line.split()
            source, dest = f"snap:{actor}", f"snap:{target}"
            graph.add_node(source)
            graph.add_node(dest)
            if source == dest:
                continue
            age_days = (HIGGS_RUN_END - int(timestamp)) / 86_400
            weight = HIGGS_KIND_WEIGHTS[kind] * 0.5 ** (age_days / 30.0)
            graph.add_edge(source, dest, weight=graph.get_edge_data(source, dest, {"weight": 0.0})["weight"] + weight)
    expected = nx.pagerank(graph, alpha=0.85, weight="weight")
    fixed_point = nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-12, max_iter=1000, nstart=expected)

    lines = read_lines(spark, LandedFile("snap", path, path.name))
    run_date = dt.date(2012, 7, 7)
    # 563k lines: compiled, their parse took 18-29 s against 32-41 s interpreted (the session's default)
    with session_settings(spark, COMPILED_EXPRESSIONS):
        # classified lines materialized first, as silver does: filtered unmaterialized, the connector's whole
        # reason expression is pushed into the filter and evaluated again there
        classified = with_snap_fields(lines, "snap").localCheckpoint()
        interactions = with_model_weights(
            to_interactions(classified, run_date), run_date, 90, 30.0, vars(KindWeights())
        ).localCheckpoint()  # parsed once: vertices and edges would each parse the 563k lines again
        vertices, edges = to_vertices(interactions).localCheckpoint(), to_edges(interactions).localCheckpoint()
    yield expected, vertices, edges, fixed_point


def test_higgs_activity_ranks_are_within_1e_4_of_the_fixed_point_under_the_default_stopping_rule(higgs_activity):
    """Done-when of score validity: with [pagerank] max_error (1e-4, the default), the ranks are within
    L1 1e-4 of a tolerance-1e-12 networkx reference; networkx's own rule (N x 1e-6) stops further away."""
    _, vertices, edges, fixed_point = higgs_activity
    config = load_config(lake="/nonexistent-lake").pagerank
    result = weighted_pagerank(vertices, edges, engine="local", max_error=config.max_error)
    ranks = result.ranks.toPandas().set_index("id")["pagerank"]  # 304k rows: test-only comparison
    networkx_rule = weighted_pagerank(vertices, edges, engine="local").ranks.toPandas().set_index("id")["pagerank"]
    distance = sum(abs(fixed_point[v] - ranks[v]) for v in fixed_point)
    old_distance = sum(abs(fixed_point[v] - networkx_rule[v]) for v in fixed_point)
    print(
        f"\n{result.iterations} iterations, L1 to the fixed point {distance:.2e} (bound {result.error_bound:.2e}); networkx's rule {old_distance:.2e}"
    )
    assert result.converged
    assert distance <= 1e-4
    assert result.error_bound <= 1e-4
    assert old_distance > 1e-4


def test_higgs_activity_with_kind_weights_and_decay_agrees_with_networkx(higgs_activity, engine):
    """Done-when of the influence model: the weighted PageRank of the whole Higgs activity stream, with
    kind weights and a 30-day half-life decay applied, matches networkx within L1 1e-6. The expected
    weights are computed in plain Python from the raw lines."""
    import math

    expected, vertices, edges, _ = higgs_activity
    result = weighted_pagerank(vertices, edges, engine=engine)
    ranks = result.ranks.toPandas().set_index("id")["pagerank"]  # 304k rows: test-only comparison

    assert result.converged
    assert len(ranks) == len(expected)
    ordered = sorted(expected)
    assert sum(abs(expected[v] - ranks[v]) for v in ordered) <= 1e-6
    rho = spearmanr([expected[v] for v in ordered], [ranks[v] for v in ordered]).statistic
    assert rho >= 0.99
    assert not math.isnan(rho)


def test_the_engines_agree_to_1e_9_with_votes_and_teleport(spark):
    """A generated scale-free graph (networkx, fixed seed) with votes and a personalization: the local and
    the GraphFrames engine stop at the same iteration with the same ranks."""
    graph = nx.scale_free_graph(400, seed=7)
    rows = [(f"{u}", f"{v}", 1.0 + (u * 7 + v) % 5) for u, v in graph.edges() if u != v]
    interactions = spark.createDataFrame([("snap", a, t, w) for a, t, w in rows], INTERACTION_SCHEMA)
    vertices, edges = to_vertices(interactions), to_edges(interactions)
    present = sorted({int(end) for row in rows for end in row[:2]})
    votes = spark.createDataFrame([(f"snap:{n}", 0.2 + (n % 8) / 10) for n in present[::3]], "id string, vote double")
    teleport = spark.createDataFrame([(f"snap:{n}", 1.0 + n % 3) for n in present[::5]], "id string, teleport double")
    results = {
        engine: weighted_pagerank(vertices, edges, 0.85, 1e-8, 500, teleport=teleport, votes=votes, engine=engine)
        for engine in ("graphframes", "local")
    }
    ranks = {engine: {row.id: row.pagerank for row in result.ranks.collect()} for engine, result in results.items()}
    assert results["graphframes"].iterations == results["local"].iterations
    assert l1(ranks["graphframes"], ranks["local"]) <= 1e-9
    assert results["graphframes"].redistributed_mass == pytest.approx(results["local"].redistributed_mass, abs=1e-9)


def test_warm_start_follows_networkx_nstart(spark, engine):
    """A warm start is networkx's nstart: renormalised, vertices without a start rank at 1/N (here snap:y),
    and the same iterations and ranks at the default tolerance."""
    start = {"snap:a": 0.4, "snap:b": 0.1, "snap:c": 0.3, "snap:d": 0.05, "snap:e": 0.01, "snap:x": 0.2}
    graph = networkx_graph(HAND_BUILT)
    nstart = {**start, "snap:y": 1 / graph.number_of_nodes()}
    expected = nx.pagerank(graph, alpha=0.85, weight="weight", nstart=nstart)
    start_frame = spark.createDataFrame([*start.items(), ("snap:gone", 0.5)], "id string, rank double")
    interactions = spark.createDataFrame([("snap", a, t, w) for a, t, w in HAND_BUILT], INTERACTION_SCHEMA)
    result = weighted_pagerank(to_vertices(interactions), to_edges(interactions), start=start_frame, engine=engine)
    ranks = {row.id: row.pagerank for row in result.ranks.collect()}
    assert l1(ranks, expected) < 1e-12  # snap:gone, not a vertex tonight, is ignored
    assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)


def test_a_warm_start_from_last_nights_ranks_needs_fewer_iterations(spark, engine):
    """An incremental night: yesterday's graph plus a few new edges and persons. Started from yesterday's
    ranks it converges in fewer iterations than from 1/N, to the same ranks (both within networkx's rule)."""
    graph = nx.scale_free_graph(300, seed=11)
    yesterday = [(f"{u}", f"{v}", 1.0 + (u + v) % 3) for u, v in graph.edges() if u != v]
    tonight = [*yesterday, ("300", "0", 2.0), ("301", "5", 1.0), ("7", "302", 1.0), ("12", "3", 1.0)]
    tolerance = 1e-8
    _, previous = ours(spark, yesterday, engine, tolerance=tolerance, max_iterations=500)
    start = spark.createDataFrame(list(previous.items()), "id string, rank double")
    cold, cold_ranks = ours(spark, tonight, engine, tolerance=tolerance, max_iterations=500)
    warm, warm_ranks = ours(spark, tonight, engine, tolerance=tolerance, max_iterations=500, start=start)
    assert cold.converged and warm.converged
    assert warm.iterations < cold.iterations
    # each stops with an L1 change < N x tol, so each is within N x tol x d / (1 - d) of the fixed point
    assert l1(warm_ranks, cold_ranks) < 2 * cold.vertex_count * tolerance * 0.85 / 0.15


@pytest.mark.parametrize(
    ("name", "edges", "picked", "auto"),
    [
        ("auto", 10, "local", True),
        ("auto", 2_000_000, "local", True),
        ("auto", 2_000_001, "graphframes", True),
        ("local", 10**9, "local", False),
        ("graphframes", 1, "graphframes", False),
    ],
)
def test_auto_picks_the_local_engine_up_to_the_limit(name, edges, picked, auto):
    choice = Engine(name, local_max_edges=2_000_000).pick(edges)
    assert choice.engine == picked
    assert choice.auto == auto and choice.reason.startswith("auto") == auto
    assert (f"{edges:,} edges" in choice.reason) == auto


def test_auto_keeps_the_local_engine_within_the_drivers_memory():
    # 1 GiB at 400 bytes an edge holds 2**30 // 400 = 2,684,354 edges, below the configured 10,000,000
    engine = Engine("auto", local_max_edges=10_000_000, driver_memory_bytes=2**30)
    assert engine.pick(2_684_354).engine == "local"
    above = engine.pick(2_684_355)
    assert (above.engine, above.local_max_edges) == ("graphframes", 2_684_354)
    assert "spark.driver_memory" in above.reason
    # with room for more than the configured limit, the configured limit decides
    roomy = Engine("auto", local_max_edges=10_000_000, driver_memory_bytes=8 * 2**30).pick(10_000_001)
    assert roomy.engine == "graphframes" and "pagerank.local_max_edges 10,000,000" in roomy.reason


def test_the_graph_settings_hold_only_while_a_graph_algorithm_runs(spark):
    keys = ("spark.sql.codegen.wholeStage", "spark.sql.autoBroadcastJoinThreshold")
    before = {key: spark.conf.get(key, None) for key in keys}
    with pytest.raises(RuntimeError, match="inside"):
        with graph_session_settings(spark):
            assert spark.conf.get("spark.sql.codegen.wholeStage") == "true"
            assert spark.conf.get("spark.sql.autoBroadcastJoinThreshold") == str(64 * 2**20)
            raise RuntimeError("inside")
    assert {key: spark.conf.get(key, None) for key in keys} == before


def test_over_several_partitions_pregel_reads_the_edges_from_their_cache_and_the_ranks_still_match_networkx(spark, monkeypatch):
    """A graph of more than one partition's edges: the engine caches the edges as Pregel lays them out
    (influence.pagerank.pregel_edge_layout), and Pregel's supersteps must find them there: the cache is filled
    only when a query reads it. If a GraphFrames release lays them out otherwise, the cache goes unread and
    this test says so. (Pregel uncaches that plan as it returns, so the cache is watched while it runs.)"""
    monkeypatch.setattr(session, "SUPERSTEP_EDGES_PER_PARTITION", 2)  # its 6 edges: 3 partitions
    cached_while_running: set[str] = set()
    running = threading.Event()

    def watch() -> None:
        while running.is_set():
            storage = spark.sparkContext._jsc.sc().getRDDStorageInfo()
            cached_while_running.update(info.name() for info in storage if info.numCachedPartitions() > 0)
            time.sleep(0.05)

    def run_watched(pregel):
        running.set()
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            return pregel_run(pregel)
        finally:
            running.clear()
            watcher.join()

    pregel_run = Pregel.run
    monkeypatch.setattr(Pregel, "run", run_watched)
    expected = nx.pagerank(networkx_graph(HAND_BUILT), alpha=0.85, weight="weight", tol=1e-13, max_iter=1000)
    with session_settings(spark, {"spark.sql.shuffle.partitions": "4"}):
        result, ranks = ours(spark, HAND_BUILT, "graphframes", damping=0.85, tolerance=1e-13, max_iterations=1000)
    assert result.converged
    assert l1(ranks, expected) < 1e-9
    assert any("edge_src" in name for name in cached_while_running), cached_while_running

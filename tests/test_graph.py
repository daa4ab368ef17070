"""transforms.graph: interactions -> vertices, weighted edges and transition shares."""

from __future__ import annotations

import networkx as nx
import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from transforms.graph import to_edges, to_vertices, with_transition_share

INTERACTION_SCHEMA = "network string, actor string, target string, occurred_at timestamp, weight double"
VERTEX_SCHEMA = "id string, network string, account_id string"
EDGE_SCHEMA = "src string, dst string, weight double, interactions long"
SHARE_SCHEMA = "src string, dst string, share double"

INTERACTIONS = [
    ("higgs", "a", "b", None, 1.0),
    ("higgs", "a", "b", None, 2.5),  # repeated pair: one edge, weight 3.5, 2 interactions
    ("higgs", "b", "a", None, 1.0),  # the other direction is another edge
    ("higgs", "a", "c", None, 0.5),
    ("higgs", "a", "a", None, 5.0),  # self-loop: no edge
    ("higgs", "s", "s", None, 1.0),  # s only ever engages with itself
    ("other", "a", "b", None, 4.0),  # the same ids on another network
]


def interactions_frame(spark, rows=INTERACTIONS):
    return spark.createDataFrame(rows, INTERACTION_SCHEMA)


def test_edges_drop_self_loops_and_aggregate_repeated_pairs(spark):
    assertDataFrameEqual(
        to_edges(interactions_frame(spark)),
        spark.createDataFrame(
            [
                ("higgs:a", "higgs:b", 3.5, 2),
                ("higgs:b", "higgs:a", 1.0, 1),
                ("higgs:a", "higgs:c", 0.5, 1),
                ("other:a", "other:b", 4.0, 1),
            ],
            EDGE_SCHEMA,
        ),
        rtol=0,
        atol=0,
    )


def test_vertices_include_accounts_seen_only_in_self_loops(spark):
    assertDataFrameEqual(
        to_vertices(interactions_frame(spark)),
        spark.createDataFrame(
            [
                ("higgs:a", "higgs", "a"),
                ("higgs:b", "higgs", "b"),
                ("higgs:c", "higgs", "c"),
                ("higgs:s", "higgs", "s"),
                ("other:a", "other", "a"),
                ("other:b", "other", "b"),
            ],
            VERTEX_SCHEMA,
        ),
    )


def test_every_edge_end_is_a_vertex(spark):
    interactions = interactions_frame(spark)
    vertex_ids = {row.id for row in to_vertices(interactions).collect()}
    edge_ends = {end for row in to_edges(interactions).collect() for end in (row.src, row.dst)}
    assert edge_ends <= vertex_ids


def test_transition_shares_split_each_source_out_weight(spark):
    edges = spark.createDataFrame(
        [
            ("a", "b", 1.0, 1),
            ("a", "c", 3.0, 2),
            ("b", "c", 2.0, 1),
            ("c", "a", 0.1, 1),
            ("c", "b", 0.3, 1),
            ("c", "d", 0.6, None),  # interactions play no part in the share
        ],
        EDGE_SCHEMA,
    )
    assertDataFrameEqual(
        with_transition_share(edges),
        spark.createDataFrame(
            [
                ("a", "b", 0.25),
                ("a", "c", 0.75),
                ("b", "c", 1.0),
                ("c", "a", 0.1),
                ("c", "b", 0.3),
                ("c", "d", 0.6),
            ],
            SHARE_SCHEMA,
        ),
    )


def test_transition_shares_match_networkx_and_sum_to_one(spark):
    rows = [
        ("higgs", f"u{i}", f"u{(i * 7 + k) % 13}", None, float(1 + (i * k) % 5))
        for i in range(13)
        for k in range(1, 4)
    ]
    graph = nx.DiGraph()
    for _, actor, target, _, weight in rows:
        if actor != target:
            u, v = f"higgs:{actor}", f"higgs:{target}"
            graph.add_edge(u, v, weight=graph.get_edge_data(u, v, {"weight": 0.0})["weight"] + weight)
    reference = nx.stochastic_graph(graph, weight="weight")

    shares = with_transition_share(to_edges(interactions_frame(spark, rows)))
    assertDataFrameEqual(
        shares,
        spark.createDataFrame([(u, v, data["weight"]) for u, v, data in reference.edges(data=True)], SHARE_SCHEMA),
        rtol=1e-12,
        atol=0,
    )
    totals = shares.groupBy("src").agg(F.sum("share").alias("total")).collect()
    assert len(totals) == 13
    assert all(row.total == pytest.approx(1.0, abs=1e-12) for row in totals)

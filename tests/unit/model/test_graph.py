"""transforms.model.graph: interactions -> person vertices, weighted edges between persons and transition shares."""

from __future__ import annotations

import networkx as nx
import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from transforms.model.graph import to_edges, to_vertices, with_persons, with_transition_share

INTERACTION_SCHEMA = "network string, actor string, target string, occurred_at timestamp, weight double"
LINK_SCHEMA = "network string, account_id string, person_id string"
VERTEX_SCHEMA = "id string, accounts array<struct<network: string, account_id: string>>"
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
    ("higgs", "p", None, None, 1.0),  # target unknown (pending): neither an edge nor a vertex
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
    # Without identity links every account is its own person, "<network>:<account_id>".
    assertDataFrameEqual(
        to_vertices(interactions_frame(spark)),
        spark.createDataFrame(
            [
                ("higgs:a", [("higgs", "a")]),
                ("higgs:b", [("higgs", "b")]),
                ("higgs:c", [("higgs", "c")]),
                ("higgs:s", [("higgs", "s")]),
                ("other:a", [("other", "a")]),
                ("other:b", [("other", "b")]),
            ],
            VERTEX_SCHEMA,
        ),
    )


def test_every_edge_end_is_a_vertex(spark):
    interactions = interactions_frame(spark)
    vertex_ids = {row.id for row in to_vertices(interactions).collect()}
    edge_ends = {end for row in to_edges(interactions).collect() for end in (row.src, row.dst)}
    assert edge_ends <= vertex_ids


# Identity links: alice holds tw:a1, tw:a3 and bsky:a2; bob holds tw:b and bsky:b2; tw:c and tw:p have no link.
LINKS = [
    ("tw", "a1", "alice"),
    ("tw", "a3", "alice"),
    ("bsky", "a2", "alice"),
    ("tw", "b", "bob"),
    ("bsky", "b2", "bob"),
    ("bsky", "c", "carol"),  # bsky:c, not tw:c: links are per network
    ("tw", "z", "zed"),  # a linked account with no interaction: no vertex
]
LINKED_INTERACTIONS = [
    ("tw", "a1", "b", None, 1.0),  # alice -> bob
    ("bsky", "a2", "b2", None, 2.0),  # alice -> bob from her other account: one edge, weight 3, 2 interactions
    ("tw", "a1", "c", None, 0.5),  # alice -> tw:c
    ("tw", "a3", "a1", None, 7.0),  # alice -> alice: a self-loop of the person, no edge
    ("tw", "c", "a3", None, 4.0),  # tw:c -> alice
    ("tw", "c", "a1", None, 1.0),  # tw:c -> alice: one edge, weight 5, 2 interactions
    ("tw", "p", None, None, 9.0),  # pending: left out
    ("bsky", "b2", "a2", None, 1.5),  # bob -> alice
    ("tw", "b", "a1", None, 1.0),  # bob -> alice: one edge, weight 2.5, 2 interactions
    ("tw", "c", "b", None, 1.0),  # tw:c -> bob
]


def linked(spark):
    return interactions_frame(spark, LINKED_INTERACTIONS), spark.createDataFrame(LINKS, LINK_SCHEMA)


def test_persons_are_the_linked_person_else_the_account_itself(spark):
    interactions, links = linked(spark)
    persons = {
        "a1": "alice",
        "a2": "alice",
        "a3": "alice",
        "b": "bob",
        "b2": "bob",
        "c": "tw:c",
    }
    assertDataFrameEqual(
        with_persons(interactions, links),
        spark.createDataFrame(
            [(*row, persons[row[1]], persons[row[2]]) for row in LINKED_INTERACTIONS if row[2] is not None],
            f"{INTERACTION_SCHEMA}, actor_person string, target_person string",
        ),
    )


def test_linked_accounts_are_one_vertex_with_the_most_engaged_with_account_first(spark):
    interactions, links = linked(spark)
    # Interactions received from other persons: tw:a1 2 (c, b), bsky:a2 1, tw:a3 1 (its self-loop does not
    # count); tw:b 2 (a1, c), bsky:b2 1; tw:c 1. Ties by network then account_id.
    assertDataFrameEqual(
        to_vertices(interactions, links),
        spark.createDataFrame(
            [
                ("alice", [("tw", "a1"), ("bsky", "a2"), ("tw", "a3")]),
                ("bob", [("tw", "b"), ("bsky", "b2")]),
                ("tw:c", [("tw", "c")]),
            ],
            VERTEX_SCHEMA,
        ),
    )


def test_edges_between_persons_drop_their_self_loops_and_sum_parallel_edges(spark):
    interactions, links = linked(spark)
    assertDataFrameEqual(
        to_edges(interactions, links),
        spark.createDataFrame(
            [
                ("alice", "bob", 3.0, 2),
                ("alice", "tw:c", 0.5, 1),
                ("tw:c", "alice", 5.0, 2),
                ("bob", "alice", 2.5, 2),
                ("tw:c", "bob", 1.0, 1),
            ],
            EDGE_SCHEMA,
        ),
        rtol=0,
        atol=0,
    )


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
    rows = [("higgs", f"u{i}", f"u{(i * 7 + k) % 13}", None, float(1 + (i * k) % 5)) for i in range(13) for k in range(1, 4)]
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

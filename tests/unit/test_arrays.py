"""influence.arrays: what the local engines rely on when ids stay Arrow strings in the driver."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from influence.arrays import as_numbers, columns, distinct_ids, edge_ends, fetch_graph, id_frame, positions

# ASCII and upper case, accents (precomposed and decomposed), a non-Latin script, a repeat, and an emoji beside a
# fullwidth letter (U+FF21), which UTF-16 order (Java's String) would put after the emoji and code point order before
IDS = ["snap:b", "snap:B", "snap:a", "bluesky:é", "bluesky:e\u0301", "mastodon:ж", "reddit:🙂", "reddit:\uff21", "snap:a"]
IDS += ["snap:10", "snap:9"]


def test_ids_in_order_are_in_the_order_spark_sorts_strings(spark):
    """The driver's label propagation names a community by its smallest member as Spark's engine does."""
    vertices = spark.createDataFrame([(i,) for i in IDS], "id string")
    expected = [row.id for row in vertices.distinct().orderBy("id").collect()]
    assert distinct_ids(vertices, in_order=True).to_pylist() == expected
    assert sorted(distinct_ids(vertices).to_pylist()) == sorted(set(IDS))


def test_positions_match_each_value_to_its_id_and_unknown_ones_to_minus_one(spark):
    ids = pa.array(["x", "é", "y"])
    values = columns(spark.createDataFrame([("y",), ("z",), ("é",), (None,), ("x",)], "v string"), "v").column("v")
    found = positions(values, ids)
    assert found.tolist() == [2, -1, 1, -1, 0]
    # int64, so that a position times the vertex count (label propagation's sort key) cannot overflow
    assert found.dtype == np.int64


def test_an_edge_with_an_end_that_is_no_vertex_is_left_out(spark):
    ids = pa.array(["a", "b", "c"])
    edges = columns(
        spark.createDataFrame([("a", "b"), ("b", "z"), ("c", "a"), (None, "c")], "src string, dst string"), "src", "dst"
    )
    sources, targets, known = edge_ends(edges, ids)
    assert (sources.tolist(), targets.tolist(), known.tolist()) == ([0, 2], [1, 0], [True, False, True, False])


def test_numbers_and_the_frame_back(spark):
    table = columns(spark.createDataFrame([(1, 2.5), (None, None)], "n int, x double"), "n", "x")
    whole, decimal = as_numbers(table.column("n")), as_numbers(table.column("x"))
    assert (whole.dtype, whole[0], decimal.dtype, decimal[0]) == (np.float64, 1.0, np.float64, 2.5)
    assert np.isnan(whole[1]) and np.isnan(decimal[1])
    back = id_frame(spark, pa.array(["a", "b"]), "id string, rank double", rank=np.array([0.25, 0.75]))
    assert back.schema.simpleString() == "struct<id:string,rank:double>"
    assert {row.id: row.rank for row in back.collect()} == {"a": 0.25, "b": 0.75}
    empty = spark.createDataFrame([], "id string")
    assert len(distinct_ids(empty)) == 0
    assert id_frame(spark, distinct_ids(empty), "id string, rank double", rank=np.array([])).count() == 0


def test_a_fetched_graph_numbers_its_vertices_in_id_order_and_keeps_the_edges_between_them(spark):
    vertices = spark.createDataFrame([("c",), ("a",), ("b",), ("a",)], "id string")
    edges = spark.createDataFrame(
        [("a", "b", 2.0), ("b", "z", 1.0), ("c", "a", 3.0), ("c", "c", 4.0)], "src string, dst string, weight double"
    )
    graph = fetch_graph(vertices, edges, "weight")
    assert (graph.ids.to_pylist(), graph.vertex_count) == (["a", "b", "c"], 3)
    # b -> z is left out: z is no vertex
    assert (graph.sources.tolist(), graph.targets.tolist()) == ([0, 2, 2], [1, 0, 2])
    assert graph.edge_values["weight"].tolist() == [2.0, 3.0, 4.0]
    assert fetch_graph(vertices, edges).edge_values == {}


def test_edge_values_from_a_frame_of_a_few_edges_and_the_default_for_the_others(spark):
    vertices = spark.createDataFrame([("a",), ("b",), ("c",)], "id string")
    edges = spark.createDataFrame([("a", "b", 2.0), ("c", "a", 3.0), ("b", "c", 1.0)], "src string, dst string, weight double")
    graph = fetch_graph(vertices, edges, "weight")
    # b -> a is no edge and a -> z has an end that is no vertex: neither names an edge of the graph
    named = spark.createDataFrame(
        [("c", "a", 0.5), ("b", "a", 0.2), ("a", "z", 0.1), ("b", "c", 0.25)], "src string, dst string, discount double"
    )
    discounted = graph.with_edge_values(named, "discount", 1.0)
    # the graph's edges in its order: a -> b, c -> a, b -> c
    assert discounted.edge_values["discount"].tolist() == [1.0, 0.5, 0.25]
    assert discounted.edge_values["weight"].tolist() == graph.edge_values["weight"].tolist() == [2.0, 3.0, 1.0]
    assert "discount" not in graph.edge_values  # a new graph; the fetched one is unchanged
    nothing = spark.createDataFrame([], "src string, dst string, discount double")
    assert graph.with_edge_values(nothing, "discount", 1.0).edge_values["discount"].tolist() == [1.0, 1.0, 1.0]

"""Frames to arrays in the driver and back, through Arrow, for the engines that run a graph there (the local
engines of influence.pagerank and influence.communities).

Ids stay Arrow strings: Arrow's hash kernel (`index_in`) gives each edge end its vertex's position. Turned into
pandas, 10M edges became 20M Python strings, and a pandas Index looked each of them up: on a generated graph of
9,990,932 edges and 1,243,859 persons, the edges and ids reached the driver and were matched in 18-21 s that way
and in 6-7 s this way (docs/model.md#centrality-engines-measured).

A night's three local engines (TrustRank, PageRank, label propagation) run on the same person graph, so the
graph stage fetches it once as a DriverGraph: one fetch of a generated 10M-edge graph took 8-9 s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame, SparkSession


def columns(frame: DataFrame, *names: str) -> pa.Table:
    """The frame's `names` columns in the driver (the caller bounds the frame's size)."""
    return frame.select(*names).toArrow()


def distinct_ids(vertices: DataFrame, in_order: bool = False) -> pa.Array:
    """The distinct values of the frame's `id` column; with `in_order`, sorted by code point (UTF-8 bytes), the
    order in which Spark compares strings."""
    ids = pc.unique(columns(vertices, "id").column("id"))
    return ids.take(pc.sort_indices(ids)) if in_order else ids


def positions(values: pa.ChunkedArray, ids: pa.Array) -> np.ndarray:
    """Each value's position in `ids` (int64, as products of positions must not overflow), or -1 where it is none
    of them."""
    found = pc.index_in(values, value_set=ids.cast(values.type))
    return pc.fill_null(found, -1).cast(pa.int64()).to_numpy()


def edge_ends(edges: pa.Table, ids: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positions in `ids` of the `src` and `dst` of each edge whose two ends are both among `ids`, and the
    mask of those edges in `edges` (to select their other columns)."""
    sources, targets = positions(edges.column("src"), ids), positions(edges.column("dst"), ids)
    known = (sources >= 0) & (targets >= 0)
    return sources[known], targets[known], known


def values_by_position(frame: DataFrame, column: str, ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """For the frame's rows whose `id` is one of `ids`: their positions in `ids`, and their `column` as float64."""
    table = columns(frame, "id", column)
    at = positions(table.column("id"), ids)
    known = at >= 0
    return at[known], as_numbers(table.column(column))[known]


def as_numbers(values: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64, nulls as NaN."""
    return values.cast(pa.float64()).to_numpy()


def id_frame(spark: SparkSession, ids: pa.Array, schema: str, **values: np.ndarray | pa.Array) -> DataFrame:
    """A frame of `ids` and one column per keyword, in that order, with the given DDL schema."""
    return spark.createDataFrame(pa.table({"id": ids, **values}), schema)


@dataclass(frozen=True)
class DriverGraph:
    """A graph in the driver: its vertex ids in code point order (a vertex's number is its position), each edge's
    ends as numbers, and the edges' numeric columns (float64, by name), edges with an end that is no vertex left out."""

    ids: pa.Array
    sources: np.ndarray
    targets: np.ndarray
    edge_values: dict[str, np.ndarray]

    @property
    def vertex_count(self) -> int:
        return len(self.ids)

    def with_edge_values(self, frame: DataFrame, column: str, default: float) -> DriverGraph:
        """This graph with the edge column `column` taken from frame (src, dst, column; at most one row per pair),
        `default` for the edges it does not name, such as the edges a burst discounts (the caller bounds its size)."""
        values = np.full(len(self.sources), default)
        table = columns(frame, "src", "dst", column)
        sources, targets, known = edge_ends(table, self.ids)
        if len(sources):
            # each edge's row in the frame, by a hash of the pair's numbers (-1: none). A binary search of the sorted
            # pairs took 6.1 s for 10M edges against 7M named, this 1.5 s.
            named = pd.Index(sources * self.vertex_count + targets)
            at = named.get_indexer(self.sources * self.vertex_count + self.targets)
            matched = at >= 0
            values[matched] = as_numbers(table.column(column))[known][at[matched]]
        return dataclasses.replace(self, edge_values={**self.edge_values, column: values})


def fetch_graph(vertices: DataFrame, edges: DataFrame, *values: str) -> DriverGraph:
    """vertices (id) and edges (src, dst, and the numeric columns `values`) in the driver (the caller bounds
    their size)."""
    ids = distinct_ids(vertices, in_order=True)
    table = columns(edges, "src", "dst", *values)
    sources, targets, known = edge_ends(table, ids)
    return DriverGraph(ids, sources, targets, {name: as_numbers(table.column(name))[known] for name in values})

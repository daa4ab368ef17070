"""Communities by GraphFrames' label propagation (LPA) on the night's interaction graph.

Why label propagation: it needs no number of communities, costs a few passes over the edges (near
linear), and runs in GraphFrames on any cluster. Connected components would put nearly everyone who
interacts into one giant component; modularity methods are not in GraphFrames. LPA treats the graph
as undirected and unweighted: a community is a group of people who engage with each other, whoever
engages whom. Its known weakness, labels oscillating on bipartite structures, is bounded by the
iteration cap. The labels are turned into stable ids by transforms.model.communities.

Why GraphFrames' Pregel API and not its `labelPropagation`: when a person's neighbours hold several labels
equally often, GraphX's implementation keeps whichever its label map yields first, and the numbers
GraphFrames gives string ids for GraphX depend on partitioning. So the same night found other communities
on a cluster than in local mode (on a random graph, 12 communities with one shuffle partition against 21
with seven). GraphFrames' own implementation breaks ties by the smaller label, but it takes numeric ids
only, and it counts labels by merging one map per message, which took 328 s against GraphX's 32-47 s for
five passes on the Higgs activity graph (bench/communities.py, docs/model.md#communities). Here each person's received labels are sorted and the longest run
wins, ties going to the smaller label, in one pass over the sorted list: the result depends on the graph
alone.

A small graph (the centrality engine's `local` choice, stages.score.pick_engine) runs the same passes in
the driver on NumPy arrays: on 1,000-line nights the communities stage took 4.1 to 9.8 s on Pregel and 1.0
to 2.8 s in the driver (docs/pipeline.md#fixed-cost-of-a-night). Both give the same labels
(tests/unit/model/test_communities.py).
"""

from __future__ import annotations

import numpy as np
from graphframes import GraphFrame
from graphframes.lib import Pregel
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, functions as F

from influence.arrays import DriverGraph, fetch_graph, id_frame
from influence.session import graph_session_settings
from transforms.model.communities import most_frequent, to_communities

# Pregel checkpoints the labels every this many passes, so that the plan does not grow with the passes.
CHECKPOINT_INTERVAL = 2


def detect_communities(
    vertices: DataFrame,
    edges: DataFrame,
    max_iterations: int,
    key: bytes,
    engine: str = "graphframes",
    fetched: DriverGraph | None = None,
) -> DataFrame:
    """vertices: id; edges: src, dst -> id, community_id, community_size (persisted; unpersist when done).
    key: the lake's privacy key, which names communities (transforms.model.communities).

    Labels start as the persons' own ids. Each pass, every person takes the label their neighbours hold
    most often (one count per edge of the frame, either direction; a self-engagement does not count), ties
    going to the smaller label; a person with no neighbour keeps their own. Passes stop when no label
    changes, or after max_iterations. engine: "graphframes" (Pregel) or "local" (the driver, for small graphs);
    fetched: for the local engine, the graph of vertices and edges already in the driver."""
    if engine == "local":
        graph = fetched if fetched is not None else fetch_graph(vertices, edges)
        labels = local_label_propagation(vertices.sparkSession, graph, max_iterations)
    else:
        with graph_session_settings(vertices.sparkSession):
            labels = pregel_label_propagation(vertices, edges, max_iterations)
    communities = to_communities(labels.select("id", "label"), key).persist(StorageLevel.MEMORY_AND_DISK)
    communities.count()
    labels.unpersist()
    return communities


def pregel_label_propagation(vertices: DataFrame, edges: DataFrame, max_iterations: int) -> DataFrame:
    new_label = F.coalesce(most_frequent(Pregel.msg()), F.col("label"))
    labels = (
        GraphFrame(vertices.select("id"), edges.filter(F.col("src") != F.col("dst")).select("src", "dst"))
        .pregel.setMaxIter(max_iterations)
        .setCheckpointInterval(CHECKPOINT_INTERVAL)
        .setUseLocalCheckpoints(True)
        .withVertexColumn("label", F.col("id"), new_label)
        .setInitialActiveVertexExpression(F.lit(True))
        # computed with the new label, before it replaces the old one in "label": active = the label changed
        .setUpdateActiveVertexExpression(new_label != F.col("label"))
        .setStopIfAllNonActiveVertices(True)
        .required_src_columns("label")
        .required_dst_columns("label")
        .sendMsgToDst(Pregel.src("label"))
        .sendMsgToSrc(Pregel.dst("label"))
        .aggMsgs(F.collect_list(Pregel.msg()))
        .run()
    )
    return labels


def local_label_propagation(spark: SparkSession, graph: DriverGraph, max_iterations: int) -> DataFrame:
    """The passes of pregel_label_propagation in the driver. Persons are numbered in id order, so the
    smaller number is the smaller label (Arrow and Spark both order strings by their UTF-8 bytes: by code point)."""
    ids = graph.ids
    ends = graph.sources != graph.targets  # a self-engagement does not count
    sources, targets = graph.sources[ends], graph.targets[ends]
    # every edge carries a label both ways: receivers[i] hears senders[i]
    receivers = np.concatenate([targets, sources])
    senders = np.concatenate([sources, targets])
    count = len(ids)
    labels = np.arange(count)
    for _ in range(max_iterations):
        # sorted by person, then label: each person's labels are a run, smallest first
        heard, times = np.unique(receivers * count + labels[senders], return_counts=True)
        if len(heard) == 0:
            break
        person, label = heard // count, heard % count
        starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
        most = np.repeat(np.maximum.reduceat(times, starts), np.diff(np.r_[starts, len(person)]))
        # per person, the first of its most heard labels: the smaller label among equals
        best = np.flatnonzero(times == most)
        best = best[np.r_[True, person[best][1:] != person[best][:-1]]]
        updated = labels.copy()
        updated[person[best]] = label[best]
        if np.array_equal(updated, labels):
            break
        labels = updated
    return id_frame(spark, ids, "id string, label string", label=ids.take(labels))

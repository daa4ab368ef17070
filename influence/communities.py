"""Communities by GraphFrames' label propagation (LPA) on the night's interaction graph.

Why label propagation: it needs no number of communities, costs a few passes over the edges (near
linear), and runs in GraphFrames on any cluster. Connected components would put nearly everyone who
interacts into one giant component; modularity methods are not in GraphFrames. LPA treats the graph
as undirected and unweighted: a community is a group of people who engage with each other, whoever
engages whom. Its known weakness, labels oscillating on bipartite structures, is bounded by the
iteration cap. The labels are turned into stable ids by transforms.model.communities.
"""

from __future__ import annotations

from graphframes import GraphFrame
from pyspark import StorageLevel
from pyspark.sql import DataFrame

from transforms.model.communities import to_communities


def detect_communities(vertices: DataFrame, edges: DataFrame, max_iterations: int, key: bytes) -> DataFrame:
    """vertices: id; edges: src, dst -> id, community_id, community_size (persisted; unpersist when done).
    key: the lake's privacy key, which names communities (transforms.model.communities)."""
    labels = GraphFrame(vertices.select("id"), edges.select("src", "dst")).labelPropagation(
        maxIter=max_iterations, algorithm="graphx", use_local_checkpoints=True
    )
    communities = to_communities(labels.select("id", "label"), key).persist(StorageLevel.MEMORY_AND_DISK)
    communities.count()
    labels.unpersist()
    return communities

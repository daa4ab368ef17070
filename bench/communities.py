"""Label propagation side by side, in one process run: seconds per run, the communities found, and the
ratio of each implementation's time to ours.

Implementations (each makes at most `--passes` passes on the same undirected, unweighted graph):
- `ours`:        influence.communities.detect_communities, on GraphFrames' Pregel API, ties to the smaller
                 label (the product's);
- `ours-local`:  the same passes in the driver on NumPy arrays (detect_communities(engine="local"), what a
                 night runs when the centrality engine is `local`);
- `graphx`:      GraphFrames `labelPropagation(algorithm="graphx")`, which the product used before: its ties
                 depend on partitioning;
- `graphframes`: GraphFrames `labelPropagation(algorithm="graphframes")` on the persons numbered, edges both
                 ways (its ids must be numbers and its labels go one way).
Each runs `--repeats` times in a row; the first run of the process also pays the JVM's warm-up.

Graphs: the Higgs networks and activity stream, and the generated graphs of bench/centrality.py.
Data: ../shared/data/higgs-twitter (SNAP Higgs Twitter, De Domenico et al., Sci. Rep. 3:2980, 2013).

    .venv/bin/python bench/communities.py [--graphs activity] [--implementations ours,graphx] [--repeats 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from graphframes import GraphFrame
from pyspark.sql import DataFrame, Window, functions as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.centrality import GENERATED, HIGGS_FILES, generated_graph, higgs_interactions  # noqa: E402
from influence.communities import detect_communities  # noqa: E402
from influence.config import load_config  # noqa: E402
from influence.session import build_spark  # noqa: E402
from transforms.model.communities import to_communities  # noqa: E402
from transforms.model.graph import to_edges, to_vertices  # noqa: E402

OUR_ENGINES = {"ours": "graphframes", "ours-local": "local"}  # detect_communities' engine per implementation
IMPLEMENTATIONS = (*OUR_ENGINES, "graphx", "graphframes")
KEY = b"bench" * 8


@dataclass
class Row:
    graph: str
    implementation: str
    run: int
    vertices: int
    edges: int
    seconds: float
    communities: int
    largest: int
    ratio_to_ours: float | None = None  # seconds / ours in the same run number


def graph_frames(spark, name: str) -> tuple[DataFrame, DataFrame]:
    if name in GENERATED:
        return generated_graph(spark, GENERATED[name])
    interactions = higgs_interactions(spark, name)
    return to_vertices(interactions), to_edges(interactions)


def library_communities(vertices: DataFrame, edges: DataFrame, passes: int, algorithm: str) -> DataFrame:
    if algorithm == "graphx":
        labels = GraphFrame(vertices, edges.select("src", "dst")).labelPropagation(
            maxIter=passes, algorithm="graphx", use_local_checkpoints=True
        )
        return to_communities(labels.select("id", "label"), KEY)
    numbers = vertices.select("id", (F.row_number().over(Window.orderBy("id")) - 1).alias("number")).persist()
    one_way = (
        edges.join(numbers.select(F.col("id").alias("src"), F.col("number").alias("s")), on="src", how="inner")
        .join(numbers.select(F.col("id").alias("dst"), F.col("number").alias("d")), on="dst", how="inner")
        .select(F.col("s").alias("src"), F.col("d").alias("dst"))
    )
    both_ways = one_way.unionByName(one_way.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    labels = GraphFrame(numbers.select(F.col("number").alias("id")), both_ways).labelPropagation(
        maxIter=passes, algorithm="graphframes", use_local_checkpoints=True
    )
    labelled = numbers.join(labels.select(F.col("id").alias("number"), "label"), on="number", how="inner")
    return to_communities(labelled.select("id", F.coalesce("label", "number").alias("label")), KEY)


def bench_graph(spark, name: str, implementations: list[str], passes: int, repeats: int) -> list[Row]:
    vertices, edges = graph_frames(spark, name)
    vertices, edges = vertices.select("id").persist(), edges.select("src", "dst").persist()
    vertex_count, edge_count = vertices.count(), edges.count()
    rows = []
    for run in range(1, repeats + 1):
        for implementation in implementations:
            started = time.perf_counter()
            if implementation in OUR_ENGINES:
                found = detect_communities(vertices, edges, passes, KEY, engine=OUR_ENGINES[implementation])
            else:
                found = library_communities(vertices, edges, passes, implementation).persist()
            summary = found.agg(F.countDistinct("community_id").alias("n"), F.max("community_size").alias("largest")).first()
            seconds = time.perf_counter() - started
            found.unpersist()
            rows.append(Row(name, implementation, run, vertex_count, edge_count, round(seconds, 1), summary.n, summary.largest))
    for row in rows:
        ours = next((r.seconds for r in rows if r.implementation == "ours" and r.run == row.run), None)
        row.ratio_to_ours = round(row.seconds / ours, 2) if ours else None
    vertices.unpersist()
    edges.unpersist()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", default="activity")
    parser.add_argument("--implementations", default="ours,graphx")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = parser.parse_args()
    implementations = [i for i in args.implementations.split(",") if i]
    graphs = [g for g in args.graphs.split(",") if g]
    if unknown := sorted(set(implementations) - set(IMPLEMENTATIONS)):
        parser.error(f"unknown implementation(s) {unknown}; choose from {', '.join(IMPLEMENTATIONS)}")
    if unknown := sorted(set(graphs) - set(HIGGS_FILES) - set(GENERATED)):
        parser.error(f"unknown graph(s) {unknown}")
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(lake=str(Path(tmp) / "lake")).with_spark(ui_enabled=False, checkpoint_dir=str(Path(tmp) / "cp"))
        spark = build_spark(config, app_name="bench-communities")
        rows = [row for graph in graphs for row in bench_graph(spark, graph, implementations, args.passes, args.repeats)]
        spark.stop()
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    header = ("graph", "implementation", "run", "vertices", "edges", "seconds", "communities", "largest", "x ours")
    lines = [header] + [
        (
            r.graph,
            r.implementation,
            str(r.run),
            f"{r.vertices:,}",
            f"{r.edges:,}",
            f"{r.seconds:.1f}",
            f"{r.communities:,}",
            f"{r.largest:,}",
            "" if r.ratio_to_ours is None else f"{r.ratio_to_ours:.2f}",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print(f"label propagation, at most {args.passes} passes")
    for line in lines:
        print("  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(line, widths))))


if __name__ == "__main__":
    main()

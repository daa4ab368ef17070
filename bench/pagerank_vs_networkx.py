"""Weighted PageRank on SNAP Higgs networks: our Spark implementation against networkx.pagerank.

Prints one row per network: size, iterations, seconds, and agreement (L1 distance, Spearman rank
correlation, top-100 overlap). Run: `make bench` (or python bench/pagerank_vs_networkx.py [files]).
Data: ../shared/data/higgs-twitter (SNAP Higgs Twitter, De Domenico et al., Sci. Rep. 3:2980, 2013).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
from pyspark.sql import functions as F
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from influence.config import load_config  # noqa: E402
from influence.pagerank import weighted_pagerank  # noqa: E402
from influence.session import build_spark  # noqa: E402
from transforms.connectors.snap import with_snap_fields  # noqa: E402
from transforms.model.graph import to_edges, to_vertices  # noqa: E402
from transforms.silver.conform import to_interactions  # noqa: E402

HIGGS = ROOT.parent / "shared" / "data" / "higgs-twitter"
DEFAULT_FILES = ["higgs-retweet_network.edgelist.gz", "higgs-mention_network.edgelist.gz", "higgs-reply_network.edgelist.gz"]


def networkx_pagerank(path: Path, tolerance: float) -> tuple[dict[str, float], float]:
    graph = nx.DiGraph()
    with gzip.open(path, "rt") as handle:
        for line in handle:
            source, target, weight = line.split()
            graph.add_node(f"snap:{source}")
            graph.add_node(f"snap:{target}")
            if source != target:
                previous = graph.get_edge_data(f"snap:{source}", f"snap:{target}", {"weight": 0.0})["weight"]
                graph.add_edge(f"snap:{source}", f"snap:{target}", weight=previous + float(weight))
    started = time.perf_counter()
    ranks = nx.pagerank(graph, alpha=0.85, weight="weight", tol=tolerance, max_iter=1000)
    return ranks, time.perf_counter() - started


def spark_pagerank(spark, path: Path, tolerance: float):
    lines = spark.read.text(str(path)).select(
        F.lit("snap").alias("source"),
        F.lit(path.name).alias("file"),
        F.monotonically_increasing_id().alias("line_number"),
        F.col("value").alias("line"),
    )
    interactions = to_interactions(with_snap_fields(lines, "snap"), None).cache()
    vertices, edges = to_vertices(interactions).cache(), to_edges(interactions).cache()
    edge_count = edges.count()
    started = time.perf_counter()
    result = weighted_pagerank(vertices, edges, tolerance=tolerance, max_iterations=1000)
    ranks = dict(result.ranks.toPandas().itertuples(index=False))  # benchmark-only comparison
    return result, ranks, edge_count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=DEFAULT_FILES, help="edge lists under ../shared/data/higgs-twitter")
    parser.add_argument("--tolerance", type=float, default=1e-6, help="networkx's tol, for both (default 1e-6)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spark = build_spark(load_config(lake=tmp).with_spark(ui_enabled=False), app_name="bench-pagerank")
        print(f"weighted PageRank, damping 0.85, tolerance {args.tolerance:g} (stop when L1 change < N * tolerance)")
        header = ("network", "vertices", "edges", "iterations", "spark_s", "networkx_s", "ratio", "L1", "spearman", "top100")
        rows = [header]
        for name in args.files:
            path = HIGGS / name
            result, ours, edge_count, spark_seconds = spark_pagerank(spark, path, args.tolerance)
            expected, nx_seconds = networkx_pagerank(path, args.tolerance)
            nodes = sorted(expected)
            l1 = sum(abs(expected[v] - ours[v]) for v in nodes)
            rho = spearmanr([expected[v] for v in nodes], [ours[v] for v in nodes]).statistic
            top = len(set(sorted(expected, key=expected.get)[-100:]) & set(sorted(ours, key=ours.get)[-100:]))
            rows.append(
                (
                    name.split("_network")[0],
                    str(result.vertex_count),
                    str(edge_count),
                    str(result.iterations),
                    f"{spark_seconds:.1f}",
                    f"{nx_seconds:.1f}",
                    f"{spark_seconds / nx_seconds:.0f}x",
                    f"{l1:.2e}",
                    f"{rho:.6f}",
                    f"{top}/100",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            print("  ".join(value.rjust(width) for value, width in zip(row, widths)))


if __name__ == "__main__":
    main()

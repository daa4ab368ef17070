"""Centrality engines side by side, in one process run: seconds per iteration, iterations to converge,
agreement with networkx, and the ratio of each engine's time to a single-thread SciPy power iteration.

Engines (the same weighted PageRank, networkx's semantics and stopping rule, except `graphx`):
- `graphframes`: influence.pagerank on GraphFrames' Pregel API (the product's distributed engine);
- `graphx`:      GraphFrames `pageRank` (GraphX, unweighted), a fixed number of iterations: the
                 library's own reference point, not our formula, so no agreement is shown for it;
- `loop`:        the DataFrame loop the project used before GraphFrames (bench/reference_loop.py),
                 kept here only to be measured against;
- `loop-tuned`:  that loop under the GraphFrames engine's session settings (see below);
- `local`:       influence.pagerank's local engine, Arrow transfer of the edge frame included;
- `scipy`:       the same power iteration on arrays already in memory, one thread: the denominator;
- `networkx`:    networkx.pagerank, the reference the ranks are checked against (small graphs only).

Graphs: the three SNAP Higgs networks (retweet, reply, mention: weighted edge lists), the whole Higgs
activity stream with the model's kind weights and a 30-day half-life (run date 2012-07-07), and
generated power-law graphs (`gen1m`, `gen10m`: 1M and 10M edges, fixed seed).
Data: ../shared/data/higgs-twitter (SNAP Higgs Twitter, De Domenico et al., Sci. Rep. 3:2980, 2013).

    .venv/bin/python bench/centrality.py [--graphs retweet,reply,mention,activity,gen1m,gen10m]
        [--engines graphframes,graphx,loop,loop-tuned,local,scipy,networkx] [--iterations-cap N]
        [--fixed LOW,HIGH] [--json]

`--iterations-cap` bounds the Spark engines' iterations on graphs over `--cap-above` edges (default
2,000,000): they then report seconds per iteration over the capped run, and the iterations to converge
are SciPy's (the engines stop at the same iteration: tests/unit/model/test_pagerank.py).

A converging run's seconds per iteration include its set-up, which dominates a short run. So the Spark
engines (`graphframes`, `loop`) also run twice more with the stopping rule off, for `--fixed LOW,HIGH`
iterations (default 2,12; HIGH at most `--iterations-cap` on graphs over `--cap-above` edges): the
difference is the cost of an added iteration ("s/added"), and what is left of the LOW run is the set-up.
The loop runs twice: in the product's session (interpreted expressions, influence.config) and under the
GraphFrames engine's own settings (`loop-tuned`: influence.session.graph_session_settings), so that the
engines are compared on equal terms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # single-thread SciPy, as the denominator says
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from pyspark.sql import DataFrame, functions as F  # noqa: E402
from scipy import sparse  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reference_loop import loop_pagerank  # noqa: E402
from influence.config import KindWeights, load_config  # noqa: E402
from influence.pagerank import weighted_pagerank  # noqa: E402
from influence.session import build_spark, graph_session_settings  # noqa: E402
from stages.landing import LandedFile, read_lines  # noqa: E402
from transforms.connectors.snap import with_snap_fields  # noqa: E402
from transforms.model.graph import to_edges, to_vertices  # noqa: E402
from transforms.model.weights import with_model_weights  # noqa: E402
from transforms.silver.conform import to_interactions  # noqa: E402

HIGGS = ROOT.parent / "shared" / "data" / "higgs-twitter"
HIGGS_FILES = {
    "retweet": "higgs-retweet_network.edgelist.gz",
    "reply": "higgs-reply_network.edgelist.gz",
    "mention": "higgs-mention_network.edgelist.gz",
    "activity": "higgs-activity_time.txt.gz",
}
GENERATED = {"gen1m": 1_000_000, "gen10m": 10_000_000}
ACTIVITY_RUN_DATE = dt.date(2012, 7, 7)
ENGINES = ("graphframes", "graphx", "loop", "loop-tuned", "local", "scipy", "networkx")
DAMPING, TOLERANCE = 0.85, 1e-6


@dataclass
class Row:
    graph: str
    engine: str
    vertices: int
    edges: int
    iterations: int
    converged: bool | None
    seconds: float
    seconds_per_iteration: float
    ratio_to_scipy: float | None = None  # seconds per iteration / SciPy's
    l1_to_networkx: float | None = None
    peak_mb: float | None = None  # local engine: the Python process's peak resident set growth, a second run
    # Spark engines, from two runs of a fixed number of iterations (--fixed): the cost of one more
    # iteration, the set-up left over, and the added iteration's cost over the loop's, the loop run in
    # the product's session and under the GraphFrames engine's settings (loop-tuned).
    seconds_per_added_iteration: float | None = None
    setup_seconds: float | None = None
    added_iteration_to_loop: float | None = None
    added_iteration_to_tuned_loop: float | None = None
    note: str = ""


def higgs_interactions(spark, name: str) -> DataFrame:
    path = HIGGS / HIGGS_FILES[name]
    lines = read_lines(spark, LandedFile("snap", path, path.name))
    # classified lines materialized before to_interactions filters them, as silver does: filtered unmaterialized,
    # the optimizer pushes the filter, with the connector's whole reason expression, below its projections
    classified = with_snap_fields(lines, "snap").localCheckpoint()
    interactions = to_interactions(classified, ACTIVITY_RUN_DATE if name == "activity" else None)
    if name == "activity":
        interactions = with_model_weights(interactions, ACTIVITY_RUN_DATE, 90, 30.0, vars(KindWeights()))
    return interactions


def generated_graph(spark, edges: int, seed: int = 7) -> tuple[DataFrame, DataFrame]:
    """A power-law graph: both ends drawn with density ~ x^-0.6 over N = edges / 8 persons (a few hubs
    engaged by very many), weights 1-5; duplicate pairs merged by to_edges like real interactions."""
    persons = edges // 8
    end = lambda salt: F.floor(F.pow(F.rand(seed + salt), F.lit(2.5)) * persons).cast("long").cast("string")  # noqa: E731
    interactions = spark.range(edges).select(
        F.lit("snap").alias("network"),
        end(1).alias("actor"),
        end(2).alias("target"),
        (F.floor(F.rand(seed + 3) * 5) + 1).cast("double").alias("weight"),
    )
    return to_vertices(interactions), to_edges(interactions)


def to_arrays(vertices: DataFrame, edges: DataFrame):
    ids = vertices.select("id").toPandas()["id"]
    index = pd.Index(ids)
    table = edges.select("src", "dst", F.col("weight").cast("double")).toPandas()
    return index, index.get_indexer(table["src"]), index.get_indexer(table["dst"]), table["weight"].to_numpy()


def scipy_power_iteration(index, sources, targets, weights, max_iterations: int):
    """The local engine's arithmetic alone (no Spark): returns (ranks, iterations, converged, seconds)."""
    n = len(index)
    out_weight = np.bincount(sources, weights=weights, minlength=n)
    matrix = sparse.csr_matrix((weights / out_weight[sources], (targets, sources)), shape=(n, n))
    dangling = out_weight == 0
    ranks = np.full(n, 1.0 / n)
    started = time.perf_counter()
    iterations, converged = 0, False
    while iterations < max_iterations:
        iterations += 1
        previous = ranks
        ranks = DAMPING * (matrix @ previous) + (DAMPING * previous[dangling].sum() + 1.0 - DAMPING) / n
        if np.abs(ranks - previous).sum() < n * TOLERANCE:
            converged = True
            break
    return ranks, iterations, converged, time.perf_counter() - started


def networkx_reference(index, sources, targets, weights) -> tuple[np.ndarray, float]:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(index)))
    graph.add_weighted_edges_from(zip(sources.tolist(), targets.tolist(), weights.tolist()))
    started = time.perf_counter()
    ranks = nx.pagerank(graph, alpha=DAMPING, weight="weight", tol=TOLERANCE, max_iter=1000)
    seconds = time.perf_counter() - started
    return np.array([ranks[i] for i in range(len(index))]), seconds


def l1_against(reference: np.ndarray | None, index, frame: DataFrame) -> float | None:
    if reference is None:
        return None
    ours = frame.toPandas().set_index("id")["pagerank"].reindex(index).to_numpy()  # benchmark-only comparison
    return float(np.abs(ours - reference).sum())


def resident_kb(field: str) -> int:
    """VmRSS or VmHWM (the peak) of this process, in kB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_growth_mb(function) -> float | None:
    """How far the Python process's resident set rose above where it was while `function` ran: the engine's
    Arrow buffers and NumPy arrays (its peak is reset first through /proc/self/clear_refs; None elsewhere)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        before = resident_kb("VmRSS")
    except OSError:
        return None
    function()
    return round((resident_kb("VmHWM") - before) / 1024, 1)


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def bench_graph(spark, name: str, engines: list[str], cap: int, cap_above: int, fixed: tuple[int, int]) -> list[Row]:
    if name in GENERATED:
        vertices, edges = generated_graph(spark, GENERATED[name])
    else:
        interactions = higgs_interactions(spark, name)
        vertices, edges = to_vertices(interactions), to_edges(interactions)
    vertices, edges = vertices.select("id").localCheckpoint(), edges.select("src", "dst", "weight").localCheckpoint()
    n, m = vertices.count(), edges.count()
    large = m > cap_above
    spark_iterations = cap if large else 1000
    index, sources, targets, weights = to_arrays(vertices, edges)
    scipy_ranks, scipy_iterations, scipy_converged, scipy_seconds = scipy_power_iteration(index, sources, targets, weights, 1000)
    scipy_per_iteration = scipy_seconds / scipy_iterations
    reference, reference_note = None, ""
    rows: list[Row] = []

    def row(engine, iterations, converged, seconds, frame=None, note=""):
        per_iteration = seconds / max(iterations, 1)
        rows.append(
            Row(
                name,
                engine,
                n,
                m,
                iterations,
                converged,
                round(seconds, 4),
                round(per_iteration, 6),
                round(per_iteration / scipy_per_iteration, 1),
                l1_against(reference, index, frame) if frame is not None and converged else None,
                note=note,
            )
        )

    if "networkx" in engines and m <= 2_000_000:
        reference, nx_seconds = networkx_reference(index, sources, targets, weights)
        # networkx and SciPy stop at the same iteration (same rule), so SciPy's count is networkx's too
        rows.append(
            Row(
                name,
                "networkx",
                n,
                m,
                scipy_iterations,
                True,
                round(nx_seconds, 3),
                round(nx_seconds / scipy_iterations, 6),
                round(nx_seconds / scipy_iterations / scipy_per_iteration, 1),
                0.0,
            )
        )
    elif "networkx" in engines:
        reference_note = "networkx skipped above 2,000,000 edges (memory)"
    if "scipy" in engines:
        rows.append(
            Row(
                name,
                "scipy",
                n,
                m,
                scipy_iterations,
                scipy_converged,
                round(scipy_seconds, 4),
                round(scipy_per_iteration, 6),
                1.0,
                float(np.abs(scipy_ranks - reference).sum()) if reference is not None else None,
                note=reference_note,
            )
        )
    cap_note = f"capped at {cap} iterations; converges in {scipy_iterations}" if large else ""
    if "local" in engines:
        result, seconds = timed(lambda: weighted_pagerank(vertices, edges, DAMPING, TOLERANCE, 1000, engine="local"))
        row("local", result.iterations, result.converged, seconds, result.ranks, "Arrow transfer included")
        rows[-1].peak_mb = peak_growth_mb(lambda: weighted_pagerank(vertices, edges, DAMPING, TOLERANCE, 1000, engine="local"))

    def spark_engine(engine: str, run) -> None:
        """run(max_iterations, tolerance) -> PageRankResult; a converging run, then the fixed ones."""
        result, seconds = timed(lambda: run(spark_iterations, TOLERANCE))
        row(engine, result.iterations, result.converged, seconds, result.ranks, cap_note)
        low, high = fixed
        if large and low < cap < high:
            high = cap  # the same cap as the converging run: an added iteration costs seconds there
        low_seconds = timed(lambda: run(low, 0.0).ranks.count())[1]
        high_seconds = timed(lambda: run(high, 0.0).ranks.count())[1]
        added = (high_seconds - low_seconds) / (high - low)
        rows[-1].seconds_per_added_iteration = round(added, 4)
        rows[-1].setup_seconds = round(low_seconds - low * added, 3)

    if "graphframes" in engines:
        spark_engine(
            "graphframes",
            lambda iterations, tolerance: weighted_pagerank(
                vertices, edges, DAMPING, tolerance, iterations, engine="graphframes"
            ),
        )
    if "loop" in engines:
        spark_engine("loop", lambda iterations, tolerance: loop_pagerank(vertices, edges, DAMPING, tolerance, iterations))
    if "loop-tuned" in engines:

        def tuned_loop(iterations, tolerance):
            with graph_session_settings(spark):
                result = loop_pagerank(vertices, edges, DAMPING, tolerance, iterations)
                result.ranks.count()  # computed under the settings
            return result

        spark_engine("loop-tuned", tuned_loop)
    by_engine = {r.engine: r for r in rows}
    for loop_engine, field in (("loop", "added_iteration_to_loop"), ("loop-tuned", "added_iteration_to_tuned_loop")):
        loop_row = by_engine.get(loop_engine)
        if loop_row is None or not loop_row.seconds_per_added_iteration:
            continue
        for engine in ("graphframes", "loop", "loop-tuned"):
            if engine in by_engine:
                ratio = by_engine[engine].seconds_per_added_iteration / loop_row.seconds_per_added_iteration
                setattr(by_engine[engine], field, round(ratio, 2))
    if "graphx" in engines:
        from graphframes import GraphFrame

        iterations = min(20, spark_iterations)

        def graphx():
            ranked = GraphFrame(vertices, edges).pageRank(resetProbability=1 - DAMPING, maxIter=iterations)
            return ranked.vertices.agg(F.sum("pagerank")).first()

        _, seconds = timed(graphx)
        row("graphx", iterations, None, seconds, None, f"unweighted, fixed {iterations} iterations")
    return rows


def print_table(rows: list[Row]) -> None:
    header = (
        "graph",
        "engine",
        "vertices",
        "edges",
        "iter",
        "conv",
        "seconds",
        "s/iter",
        "x scipy",
        "L1 to nx",
        "peak MB",
        "set-up s",
        "s/added",
        "x loop",
        "x loop-tuned",
        "note",
    )
    lines = [header]
    for r in rows:
        lines.append(
            (
                r.graph,
                r.engine,
                f"{r.vertices:,}",
                f"{r.edges:,}",
                str(r.iterations),
                "" if r.converged is None else ("yes" if r.converged else "no"),
                f"{r.seconds:.2f}",
                f"{r.seconds_per_iteration:.4f}",
                "" if r.ratio_to_scipy is None else f"{r.ratio_to_scipy:,.0f}",
                "" if r.l1_to_networkx is None else f"{r.l1_to_networkx:.1e}",
                "" if r.peak_mb is None else f"{r.peak_mb:,.0f}",
                "" if r.setup_seconds is None else f"{r.setup_seconds:.2f}",
                "" if r.seconds_per_added_iteration is None else f"{r.seconds_per_added_iteration:.3f}",
                "" if r.added_iteration_to_loop is None else f"{r.added_iteration_to_loop:.2f}",
                "" if r.added_iteration_to_tuned_loop is None else f"{r.added_iteration_to_tuned_loop:.2f}",
                r.note,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print(
            "  ".join(
                value.ljust(width) if i in (0, 1, len(header) - 1) else value.rjust(width)
                for i, (value, width) in enumerate(zip(line, widths))
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", default="retweet,reply,mention,activity,gen1m,gen10m")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--iterations-cap", type=int, default=5, help="Spark engines' iterations on large graphs")
    parser.add_argument("--cap-above", type=int, default=2_000_000, help="edges above which the cap applies")
    parser.add_argument("--fixed", default="2,12", help="LOW,HIGH: fixed iterations for the Spark engines' added cost")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s) {unknown}; choose from {', '.join(ENGINES)}")
    try:
        fixed = tuple(int(n) for n in args.fixed.split(","))
    except ValueError:
        fixed = ()
    if len(fixed) != 2 or not 0 < fixed[0] < fixed[1]:
        parser.error(f"--fixed takes LOW,HIGH with 0 < LOW < HIGH, not {args.fixed!r}")
    graphs = [g for g in args.graphs.split(",") if g]
    unknown = sorted(set(graphs) - set(HIGGS_FILES) - set(GENERATED))
    if unknown:
        parser.error(f"unknown graph(s) {unknown}")
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(lake=str(Path(tmp) / "lake")).with_spark(ui_enabled=False, checkpoint_dir=str(Path(tmp) / "cp"))
        spark = build_spark(config, app_name="bench-centrality")
        rows: list[Row] = []
        for graph in graphs:
            rows.extend(bench_graph(spark, graph, engines, args.iterations_cap, args.cap_above, fixed))
            if not args.json:
                print(f"# {graph} done", file=sys.stderr)
        spark.stop()
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    print(f"weighted PageRank, damping {DAMPING}, tolerance {TOLERANCE:g} (stop when L1 change < N x tolerance)")
    print_table(rows)


if __name__ == "__main__":
    main()

"""Scale: the nightly, validation included, on generated landings of growing size, and a sequence of nights.

For each size (interactions; persons = interactions / 10, at least 1,000), `influence generate` writes one
day (influence/generator.py) and `influence nightly` runs on it in a process of its own, as a scheduler runs
it. Reported per size: the generation time, the night's job seconds (the run log's stages summed) and wall
seconds, seconds and input rows per second per stage, the peak memory (the resident set of the whole
process tree, polled every 0.2 s, and the driver JVM's peak heap from Spark's own executor metrics in its
event log), and the centrality stage against single-thread SciPy power iteration on the same person graph
(read from the lake with delta-rs) for the same number of iterations. Then the fitted exponent of job time
against interactions (least squares over the sizes, and between each pair). With `--nights N`, N days of
`--night-size` interactions each are generated and run one nightly per date on one lake: the cost of each
night, silver's seconds and what retention expired, and the ratio of the last night to the first, and to the
first night whose scoring window (`--window-days`) is as long as the last's.

    .venv/bin/python bench/scale.py [--sizes 100000,1000000,10000000] [--nights 30 --night-size 1000000]
                                    [--window-days 7] [--set KEY=VALUE ...] [--skip-sizes] [--json] [--work DIR]

Never a timed test: the figures go to docs/scale.md with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from influence.generator import GeneratorSpec, generate  # noqa: E402
from influence.lease import last_progress  # noqa: E402

EVENT_LOG_SETTINGS = (
    "--conf spark.eventLog.enabled=true --conf spark.eventLog.compress=false --conf spark.eventLog.logStageExecutorMetrics=true "
    "--conf spark.executor.processTreeMetrics.enabled=true --conf spark.eventLog.dir=file://{folder} pyspark-shell"
)


def influence(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("influence")), *args]
    return subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "PYARROW_IGNORE_TIMEZONE": "1", **(env or {})}
    )


def process_kind(pid: int, root: int) -> str:
    """What a process of a night's tree is: the driver's Python, its JVM, Spark's Python workers, or other."""
    if pid == root:
        return "driver_python"
    try:
        command = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    if "java" in command.split(" ", 1)[0]:
        return "jvm"
    if "pyspark.daemon" in command or "pyspark.worker" in command:
        return "python_workers"
    return "other"


def tree_rss(root: int) -> dict[int, int]:
    """The resident set of a process and of each of its descendants (Linux /proc), by pid.

    A child that is an exact image of its parent (the same virtual size, resident set, code and stack
    addresses) is a fork caught before it exec'd or wrote anything: a JVM starting a command (Hadoop's
    `chmod`, say) is such a child for a moment, sharing the JVM's memory, which /proc reports again for it.
    It counts 0, so the sum is not the JVM's twice."""
    children: dict[int, list[int]] = {}
    rss, image = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pid = int(entry.name)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            # stat fields 23-24 and 26-28 (vsize, rss, startcode, endcode, startstack), 0-based after the name
            image[pid] = (fields[20], fields[21], fields[23], fields[24], fields[25])
        except (OSError, IndexError, ValueError):
            continue
    tree, stack = {}, [(root, None)]
    while stack:
        pid, parent = stack.pop()
        tree[pid] = 0 if parent is not None and image.get(pid) == image.get(parent) else rss.get(pid, 0)
        stack.extend((child, pid) for child in children.get(pid, []))
    return tree


def measured(args: list[str], event_logs: Path, lake: Path | None = None) -> tuple[subprocess.CompletedProcess, float, dict]:
    """Runs `influence ARGS` with Spark's event log on; returns it, its wall seconds and its peak: the tree's
    resident set at its highest sample (every 0.2 s), by kind of process, and the stage the lake's lease
    named then (a fork caught before it exec'd counts 0, see tree_rss)."""
    event_logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYARROW_IGNORE_TIMEZONE": "1", "PYSPARK_SUBMIT_ARGS": EVENT_LOG_SETTINGS.format(folder=event_logs)}
    command = [str(Path(sys.executable).with_name("influence")), *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = {"bytes": 0, "by_kind": {}, "processes": 0, "stage": None}
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            tree = tree_rss(process.pid)
            total = sum(tree.values())
            if total > peak["bytes"]:
                by_kind: dict[str, int] = {}
                for pid, rss in tree.items():
                    kind = process_kind(pid, process.pid)  # read each time: spark-submit's script execs the JVM
                    by_kind[kind] = by_kind.get(kind, 0) + rss
                peak.update(bytes=total, by_kind=by_kind, processes=len(tree), stage=current_stage(lake))
            stop.wait(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout, stderr = process.communicate()
    stop.set()
    poller.join()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), time.perf_counter() - started, peak


def current_stage(lake: Path | None) -> str | None:
    """The stage a running night last noted in its lake (influence.lease.last_progress), if any."""
    progress = last_progress(lake) if lake else None
    return progress.get("stage") if progress else None


def jvm_peaks(event_logs: Path) -> dict[str, int]:
    """The highest executor metrics Spark logged (local mode: the driver is the executor)."""
    peaks: dict[str, int] = {}
    for log in (path for path in event_logs.rglob("*") if path.is_file()):  # Spark 4: a folder of rolled files
        with log.open(encoding="utf-8", errors="replace") as stream:
            for line in stream:
                if '"SparkListenerStageExecutorMetrics"' not in line and '"SparkListenerExecutorMetricsUpdate"' not in line:
                    continue
                event = json.loads(line)
                metrics = event.get("Executor Metrics") or {}
                for update in event.get("Executor Metrics Updated", []) or []:
                    metrics = {**metrics, **(update.get("Executor Metrics") or {})}
                for name in ("JVMHeapMemory", "JVMOffHeapMemory", "OnHeapExecutionMemory", "ProcessTreeJVMRSSMemory"):
                    if name in metrics:
                        peaks[name] = max(peaks.get(name, 0), int(metrics[name]))
    return peaks


def last_run(lake: Path) -> dict:
    listed = influence("runs", "--lake", str(lake), "--json", "--limit", "1")
    if listed.returncode != 0:
        raise SystemExit(f"influence runs failed: {listed.stderr[-2000:]}")
    return json.loads(listed.stdout)[0]


def scipy_seconds(lake: Path, iterations: int, damping: float = 0.85) -> dict:
    """Single-thread SciPy power iteration on the night's person graph, read from the lake with delta-rs:
    accounts joined to their linked person, self-loops dropped, repeated pairs summed."""
    import pandas as pd
    import scipy.sparse as sparse
    from deltalake import DeltaTable

    interactions = DeltaTable(str(lake / "silver" / "interactions")).to_pandas(columns=["network", "actor", "target", "weight"])
    interactions = interactions[interactions["target"].notna()]
    links_path = lake / "silver" / "identity_links"
    person_of = {}
    if links_path.is_dir():
        links = DeltaTable(str(links_path)).to_pandas(columns=["network", "account_id", "person_id"])
        person_of = dict(zip(links["network"] + ":" + links["account_id"], links["person_id"]))
    actor = (interactions["network"] + ":" + interactions["actor"]).map(lambda a: person_of.get(a, a))
    target = (interactions["network"] + ":" + interactions["target"]).map(lambda a: person_of.get(a, a))
    edges = pd.DataFrame({"src": actor, "dst": target, "w": interactions["weight"]})
    edges = edges[edges["src"] != edges["dst"]].groupby(["src", "dst"], as_index=False)["w"].sum()
    ids = pd.Index(pd.unique(pd.concat([edges["src"], edges["dst"]])))
    n = len(ids)
    src, dst = ids.get_indexer(edges["src"]), ids.get_indexer(edges["dst"])
    matrix = sparse.csr_matrix((edges["w"].to_numpy(), (src, dst)), shape=(n, n))
    started = time.perf_counter()
    out_weight = np.asarray(matrix.sum(axis=1)).ravel()
    dangling = out_weight == 0
    scale = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out_weight))
    transition = sparse.diags(scale) @ matrix
    transposed = transition.T.tocsr()
    rank = np.full(n, 1.0 / n)
    for _ in range(max(iterations, 1)):
        rank = damping * (transposed @ rank + rank[dangling].sum() / n) + (1 - damping) / n
    return {"seconds": time.perf_counter() - started, "persons": n, "edges": len(edges)}


def one_night(landing: Path, lake: Path, date: str, work: Path, settings: tuple[str, ...] = ()) -> dict:
    event_logs = Path(tempfile.mkdtemp(prefix="events-", dir=work))
    command = ["nightly", "--date", date, "--input", str(landing), "--lake", str(lake)]
    done, wall, peak = measured([*command, *(arg for setting in settings for arg in ("--set", setting))], event_logs, lake)
    if done.returncode != 0:
        raise SystemExit(f"nightly {date} exited {done.returncode}: {done.stderr[-3000:]}")
    run = last_run(lake)
    peaks = jvm_peaks(event_logs)
    shutil.rmtree(event_logs, ignore_errors=True)
    return {
        "date": date,
        "status": run["status"],
        "wall_s": round(wall, 1),
        "job_s": round(sum(stage["seconds"] for stage in run["stages"]), 1),
        "peak_tree_rss_gb": round(peak["bytes"] / 1e9, 2),
        "peak_tree_by_kind_gb": {kind: round(rss / 1e9, 2) for kind, rss in sorted(peak["by_kind"].items())},
        "peak_tree_processes": peak["processes"],
        "peak_tree_stage": peak["stage"],
        "peak_jvm_heap_gb": round(peaks.get("JVMHeapMemory", 0) / 1e9, 2),
        "peak_jvm_rss_gb": round(peaks.get("ProcessTreeJVMRSSMemory", 0) / 1e9, 2),
        "stages": [{"stage": s["stage"], "seconds": s["seconds"], "counts": s.get("counts") or {}} for s in run["stages"]],
    }


def size_run(interactions: int, work: Path, seed: int, settings: tuple[str, ...] = ()) -> dict:
    folder = work / f"size-{interactions}"
    shutil.rmtree(folder, ignore_errors=True)
    spec = GeneratorSpec(persons=max(1000, interactions // 10), interactions=interactions, seed=seed)
    started = time.perf_counter()
    manifest = generate(spec, folder / "landing")
    generated_s = time.perf_counter() - started
    date = spec.start.isoformat()
    lines = sum(tally["lines"] for tally in manifest["days"][date].values())
    night = one_night(folder / "landing" / date, folder / "lake", date, work, settings)
    stage_seconds = {stage["stage"]: stage["seconds"] for stage in night["stages"]}
    pagerank = next(stage for stage in night["stages"] if stage["stage"] == "pagerank")
    baseline = scipy_seconds(folder / "lake", int(pagerank["counts"].get("iterations", 20)))
    result = {
        "interactions": interactions,
        "persons": spec.persons,
        "lines": lines,
        "generate_s": round(generated_s, 1),
        **night,
        "rows_per_s": {name: round(interactions / seconds) if seconds > 0 else None for name, seconds in stage_seconds.items()},
        "centrality": {
            "pagerank_stage_s": pagerank["seconds"],
            "iterations": pagerank["counts"].get("iterations"),
            "scipy_s": round(baseline["seconds"], 3),
            "graph_persons": baseline["persons"],
            "graph_edges": baseline["edges"],
            "ratio": round(pagerank["seconds"] / baseline["seconds"], 1) if baseline["seconds"] > 0 else None,
        },
    }
    shutil.rmtree(folder, ignore_errors=True)
    return result


def exponents(sizes: list[dict]) -> dict:
    """d log(job_s) / d log(interactions): least squares over all sizes, and between each pair of sizes."""
    if len(sizes) < 2:
        return {}
    x = np.log([size["interactions"] for size in sizes])
    y = np.log([size["job_s"] for size in sizes])
    pairs = {
        f"{a['interactions']}->{b['interactions']}": round(
            math.log(b["job_s"] / a["job_s"]) / math.log(b["interactions"] / a["interactions"]), 2
        )
        for a, b in zip(sizes, sizes[1:])
    }
    return {"least_squares": round(float(np.polyfit(x, y, 1)[0]), 2), "pairs": pairs}


def nights_run(nights: int, night_size: int, work: Path, seed: int, window_days: int, extra: tuple[str, ...]) -> dict:
    """One lake, one night per generated day. With window_days, the nights score that window (and silver
    keeps its default horizon, the window plus 30 days): from night window_days on, each night's window
    holds as many days as the last night's, so their costs compare like for like."""
    folder = work / f"nights-{nights}x{night_size}"
    shutil.rmtree(folder, ignore_errors=True)
    spec = GeneratorSpec(persons=max(1000, night_size // 10), interactions=night_size * nights, days=nights, seed=seed)
    settings = ((f"model.window_days={window_days}",) if window_days else ()) + extra
    started = time.perf_counter()
    manifest = generate(spec, folder / "landing")
    generated_s = time.perf_counter() - started
    runs = []
    for date in sorted(manifest["days"]):
        runs.append(one_night(folder / "landing" / date, folder / "lake", date, work, settings))
        print(f"  night {len(runs)}/{nights} {date}: job {runs[-1]['job_s']} s", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    full = min(window_days, nights) if window_days else 1  # the first night whose window is as long as the last's
    return {
        "nights": nights,
        "night_size": night_size,
        "window_days": window_days or None,
        "settings": list(settings),
        "generate_s": round(generated_s, 1),
        "job_s": [run["job_s"] for run in runs],
        "silver_s": [stage_seconds(run, "silver") for run in runs],
        "silver_interactions_expired": [stage_counts(run, "retention").get("interactions_expired", 0) for run in runs],
        "last_over_first": round(runs[-1]["job_s"] / runs[0]["job_s"], 2),
        "first_full_window_night": full,
        "last_over_first_full_window": round(runs[-1]["job_s"] / runs[full - 1]["job_s"], 2),
        "runs": runs,
    }


def stage_seconds(run: dict, name: str) -> float | None:
    return next((stage["seconds"] for stage in run["stages"] if stage["stage"] == name), None)


def stage_counts(run: dict, name: str) -> dict:
    return next((stage["counts"] for stage in run["stages"] if stage["stage"] == name), {})


def machine() -> dict:
    memory = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0"
    )
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory) / 1e6, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def print_tables(report: dict) -> None:
    print(f"machine: {report['machine']}")
    for size in report["sizes"]:
        c = size["centrality"]
        print(
            f"\n{size['interactions']:,} interactions, {size['persons']:,} persons ({size['lines']:,} lines, generated in "
            f"{size['generate_s']} s): job {size['job_s']} s (wall {size['wall_s']} s), {size['status']}; peak RSS "
            f"{size['peak_tree_rss_gb']} GB (JVM heap {size['peak_jvm_heap_gb']} GB)"
        )
        kinds = ", ".join(f"{kind} {gb} GB" for kind, gb in size["peak_tree_by_kind_gb"].items())
        print(f"  at the peak ({size['peak_tree_stage']} stage, {size['peak_tree_processes']} processes): {kinds}")
        print(f"  {'stage':<13}{'seconds':>9}{'rows/s':>12}")
        for stage in size["stages"]:
            rate = size["rows_per_s"].get(stage["stage"])
            print(f"  {stage['stage']:<13}{stage['seconds']:>9.1f}{(f'{rate:,}' if rate else '-'):>12}")
        print(
            f"  centrality: pagerank stage {c['pagerank_stage_s']} s for {c['iterations']} iterations; SciPy {c['scipy_s']} s "
            f"on {c['graph_persons']:,} persons and {c['graph_edges']:,} edges; ratio {c['ratio']}x"
        )
    if report.get("exponent"):
        print(f"\nexponent of job time against interactions: {report['exponent']}")
    if report.get("nights"):
        n = report["nights"]
        print(f"\n{n['nights']} nights of {n['night_size']:,} interactions: job seconds {n['job_s']}")
        print(f"  silver seconds {n['silver_s']}")
        print(f"  silver interactions expired {n['silver_interactions_expired']}")
        print(f"  night {n['nights']} / night 1: {n['last_over_first']}x")
        if n["window_days"]:
            full, ratio = n["first_full_window_night"], n["last_over_first_full_window"]
            print(f"  night {n['nights']} / night {full} (the first with a {n['window_days']}-day window): {ratio}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000", help="interactions per size, comma-separated")
    parser.add_argument("--skip-sizes", action="store_true", help="only the sequence of nights")
    parser.add_argument("--nights", type=int, default=0, help="a sequence of this many nights on one lake (0: none)")
    parser.add_argument("--night-size", type=int, default=1_000_000, help="interactions per night of the sequence")
    parser.add_argument(
        "--window-days", type=int, default=0, help="the sequence's scoring window (model.window_days; 0: the default, 90)"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a config setting for every night (sizes and sequence)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--work", help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="influence-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": machine(), "settings": list(args.set), "sizes": []}
    if not args.skip_sizes:
        for size in (int(text) for text in args.sizes.split(",") if text.strip()):
            print(f"size {size:,} ...", file=sys.stderr)
            report["sizes"].append(size_run(size, work, args.seed, tuple(args.set)))
        report["exponent"] = exponents(report["sizes"])
    if args.nights:
        report["nights"] = nights_run(args.nights, args.night_size, work, args.seed, args.window_days, tuple(args.set))
    print(json.dumps(report, indent=2) if args.json else "", end="\n" if args.json else "")
    if not args.json:
        print_tables(report)


if __name__ == "__main__":
    main()

"""The fixed cost of a night: seconds, Spark jobs and Delta commits per stage, seconds per GX suite,
and the time to erase one person. Every figure comes from a real `influence` command run in a fresh
process, as a scheduler would run it.

Scenarios (all from the bundled sample: the first 50,000 lines of the SNAP Higgs activity stream):
- `small`:  a 1,000-line night (the sample's first 1,000 lines);
- `sample`: the bundled 50,000-line night (what `make run` ingests);
- `erase`:  `influence erase --account snap:<id>` on the `sample` lake, then a byte scan of the lake for the id;
- `warm`:   `influence backfill` of three 1,000-line nights (the sample's lines 1-3,000, one slice per date) in
            one process: the first night pays the JVM's warm-up, the later ones show what a night costs a
            driver that is already running.

    .venv/bin/python bench/overhead.py [--scenarios small,sample,erase,warm] [--json] [--work DIR]

Job time is the run log's stage seconds summed (JVM start and jar loading excluded, as in `influence runs`);
`wall_s` is the whole command. Spark jobs are counted per stage through its job group; Delta commits are
the `_delta_log/*.json` files the command added under the lake.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "influence" / "sample" / "snap" / "higgs-activity_time.first50k.txt.gz"
RUN_DATE = "2012-07-03"
ERASED_ACCOUNT = "74354"  # a SNAP account of the sample with both given and received interactions


def influence(*args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("influence")), *args]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYARROW_IGNORE_TIMEZONE": "1"})


def delta_commits(lake: Path) -> int:
    return sum(1 for _ in lake.rglob("_delta_log/*.json")) if lake.is_dir() else 0


def last_runs(lake: Path, count: int) -> list[dict]:
    """The lake's newest `count` runs, oldest first."""
    listed = influence("runs", "--lake", str(lake), "--json", "--limit", str(count))
    if listed.returncode != 0:
        raise SystemExit(f"influence runs failed: {listed.stderr[-2000:]}")
    return list(reversed(json.loads(listed.stdout)))


def last_run(lake: Path) -> dict:
    return last_runs(lake, 1)[0]


def night_figures(run: dict) -> dict:
    """A nightly run's job seconds and Spark jobs, per stage and in all, and its seconds per GX suite."""
    return {
        "job_s": round(sum(stage["seconds"] for stage in run["stages"]), 1),
        "spark_jobs": sum(stage.get("spark_jobs") or 0 for stage in run["stages"]),
        "stages": [
            {"stage": stage["stage"], "seconds": stage["seconds"], "spark_jobs": stage.get("spark_jobs") or 0}
            for stage in run["stages"]
        ],
        "suites": [{"suite": suite["suite"], "seconds": suite.get("seconds")} for suite in run["validation"]],
    }


def night(landing: Path, lake: Path) -> dict:
    before = delta_commits(lake)
    started = time.perf_counter()
    done = influence("nightly", "--date", RUN_DATE, "--input", str(landing), "--lake", str(lake))
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"nightly exited {done.returncode}: {done.stderr[-3000:]}")
    return {"wall_s": round(wall, 1), "delta_commits": delta_commits(lake) - before, **night_figures(last_run(lake))}


def landing_of(work: Path, name: str, lines: int | None) -> Path:
    folder = work / f"landing-{name}" / "snap"
    folder.mkdir(parents=True, exist_ok=True)
    if lines is None:
        shutil.copy(SAMPLE, folder / SAMPLE.name)
    else:
        with gzip.open(SAMPLE, "rt") as source, (folder / f"first{lines}.txt").open("w") as target:
            for number, line in enumerate(source):
                if number == lines:
                    break
                target.write(line)
    return folder.parent


def files_naming(lake: Path, needle: bytes) -> list[str]:
    """Files under the lake whose raw bytes hold the id as a token (Parquet pages are plain-encoded here)."""
    hits = []
    for path in lake.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            at = data.find(needle)
            while at != -1:
                before = data[at - 1 : at] if at else b""
                after = data[at + len(needle) : at + len(needle) + 1]
                if not before.isdigit() and not after.isdigit():
                    hits.append(str(path.relative_to(lake)))
                    break
                at = data.find(needle, at + 1)
    return hits


WARM_DATES = ("2012-07-03", "2012-07-04", "2012-07-05")


def warm_nights(work: Path, lines_per_night: int = 1000) -> dict:
    """One backfill (one process) over WARM_DATES, each date a new slice of the sample; each night's figures
    from the run log."""
    root = work / "landing-warm"
    with gzip.open(SAMPLE, "rt") as source:
        for date in WARM_DATES:
            folder = root / date / "snap"
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / "slice.txt").open("w") as target:
                for _ in range(lines_per_night):
                    target.write(next(source))
    lake = work / "lake-warm"
    started = time.perf_counter()
    done = influence("backfill", "--from", WARM_DATES[0], "--to", WARM_DATES[-1], "--input", str(root), "--lake", str(lake))
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"backfill exited {done.returncode}: {done.stderr[-3000:]}")
    nights = [{"run_date": run["run_date"], **night_figures(run)} for run in last_runs(lake, len(WARM_DATES))]
    return {"backfill_wall_s": round(wall, 1), "nights": nights}


def erase(lake: Path) -> dict:
    before = delta_commits(lake)
    started = time.perf_counter()
    done = influence("erase", "--account", f"snap:{ERASED_ACCOUNT}", "--lake", str(lake))
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"erase exited {done.returncode}: {done.stderr[-3000:]}")
    run = last_run(lake)
    return {
        "wall_s": round(wall, 1),
        "job_s": round(sum(stage["seconds"] for stage in run["stages"]), 1),
        "delta_commits": delta_commits(lake) - before,
        "files_naming_the_id": len(files_naming(lake, ERASED_ACCOUNT.encode())),
        "tables_vacuumed": run["stages"][0]["counts"].get("tables_vacuumed"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default="small,sample,erase")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--work", help="folder for landings and lakes (default: a temporary folder)")
    args = parser.parse_args(argv)
    wanted = args.scenarios.split(",")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="influence-overhead-"))
    results: dict[str, dict] = {}
    if "small" in wanted:
        results["small"] = {"lines": 1000, **night(landing_of(work, "small", 1000), work / "lake-small")}
    if "sample" in wanted or "erase" in wanted:
        sample_lake = work / "lake-sample"
        results["sample"] = {"lines": 50_000, **night(landing_of(work, "sample", None), sample_lake)}
        if "erase" in wanted:
            results["erase"] = erase(sample_lake)
    if "warm" in wanted:
        results["warm"] = warm_nights(work)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for name in ("small", "sample"):
        if name not in results:
            continue
        result = results[name]
        print(
            f"\n{name}: {result['lines']:,} lines, job {result['job_s']} s (wall {result['wall_s']} s), "
            f"{result['spark_jobs']} Spark jobs, {result['delta_commits']} Delta commits"
        )
        print(f"  {'stage':<12}{'seconds':>9}{'jobs':>7}")
        for stage in result["stages"]:
            print(f"  {stage['stage']:<12}{stage['seconds']:>9.1f}{stage['spark_jobs']:>7}")
        print(f"  {'suite':<22}{'seconds':>9}")
        for suite in result["suites"]:
            print(f"  {suite['suite']:<22}{suite['seconds'] or 0:>9.1f}")
    if "small" in results and "sample" in results:
        ratio = results["sample"]["job_s"] / results["small"]["job_s"]
        print(f"\nsample / small job time: {ratio:.2f}x for 50x the lines")
    if "erase" in results:
        erased = results["erase"]
        print(
            f"\nerase snap:{ERASED_ACCOUNT}: job {erased['job_s']} s (wall {erased['wall_s']} s), "
            f"{erased['delta_commits']} Delta commits, {erased['tables_vacuumed']} tables vacuumed, "
            f"{erased['files_naming_the_id']} files still naming the id"
        )
    if "warm" in results:
        nights = results["warm"]["nights"]
        print(
            f"\nwarm: backfill of {len(nights)} nights of 1,000 lines in one process, wall {results['warm']['backfill_wall_s']} s"
        )
        print(f"  {'stage':<12}" + "".join(f"{night['run_date']:>14}" for night in nights))
        for index, stage in enumerate(nights[0]["stages"]):
            cells = "".join(
                f"{night['stages'][index]['seconds']:>8.1f}s{night['stages'][index]['spark_jobs']:>4}j" for night in nights
            )
            print(f"  {stage['stage']:<12}{cells}")
        print(f"  {'job':<12}" + "".join(f"{night['job_s']:>8.1f}s{night['spark_jobs']:>4}j" for night in nights))
        suites_s = [sum(suite["seconds"] or 0 for suite in night["suites"]) for night in nights]
        print(f"  {'GX suites':<12}" + "".join(f"{seconds:>8.1f}s{'':>5}" for seconds in suites_s))
        print(f"  last night / first night job time: {nights[-1]['job_s'] / nights[0]['job_s']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

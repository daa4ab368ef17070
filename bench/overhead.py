"""The fixed cost of a night: seconds, Spark jobs and Delta commits per stage, seconds per GX suite,
and the time to erase one person. Every figure comes from a real `influence` command run in a fresh
process, as a scheduler would run it.

Scenarios (all from the bundled sample: the first 50,000 lines of the SNAP Higgs activity stream):
- `small`:  a 1,000-line night (the sample's first 1,000 lines);
- `sample`: the bundled 50,000-line night (what `make run` ingests);
- `erase`:  `influence erase --account snap:<id>` on the `sample` lake, then a scan of the lake's files for the id;
- `warm`:   `influence backfill` of three 1,000-line nights (the sample's lines 1-3,000, one slice per date) in
            one process: the first night pays the JVM's warm-up, the later ones show what a night costs a
            driver that is already running.

- `profile`: the `warm` backfill again, with Spark's event log and a JDK Flight Recorder recording: per
            stage of the last night, the seconds during which a Spark job was running against the stage's
            seconds, and the JVM's CPU samples by what they were doing (the rest of a stage is driver work
            between jobs: query planning, Delta's log, Python and py4j).

    .venv/bin/python bench/overhead.py [--scenarios small,sample,erase,warm,profile] [--json] [--work DIR]

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


def influence(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("influence")), *args]
    return subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "PYARROW_IGNORE_TIMEZONE": "1", **(env or {})}
    )


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


HEX = frozenset(b"0123456789abcdef")
HASH_DIGITS = 32  # a keyed hash (profile_key, subject keys) is 64 hex digits; an id is not inside such a run


def inside_hash(data: bytes, start: int, end: int) -> bool:
    """Whether data[start:end] lies inside a run of at least HASH_DIGITS hex digits."""
    while start > 0 and data[start - 1] in HEX:
        start -= 1
    while end < len(data) and data[end] in HEX:
        end += 1
    return end - start >= HASH_DIGITS


def names_token(data: bytes, needle: bytes) -> bool:
    """data holds the id as a token: no digit next to it, and not inside a keyed hash."""
    at = data.find(needle)
    while at != -1:
        before = data[at - 1 : at] if at else b""
        after = data[at + len(needle) : at + len(needle) + 1]
        if not before.isdigit() and not after.isdigit() and not inside_hash(data, at, at + len(needle)):
            return True
        at = data.find(needle, at + 1)
    return False


def parquet_texts(path: Path) -> list[bytes]:
    """What a Parquet file holds, as text: its decoded values, and its footer (schema and column statistics).
    Not its raw bytes: its pages are compressed, which can cut a keyed hash into short runs of hex digits, and
    the id's digits inside one of them then look like a token though no value holds it."""
    import pyarrow.parquet as pq

    data = path.read_bytes()
    footer_length = int.from_bytes(data[-8:-4], "little")
    values = json.dumps(pq.read_table(path).to_pylist(), default=str).encode()
    return [values, data[-8 - footer_length : -8]]


def files_naming(lake: Path, needle: bytes) -> list[str]:
    """Files under the lake that hold the id as a token: in their raw bytes, or for Parquet files in their
    decoded values and footer."""
    hits = []
    for path in lake.rglob("*"):
        if path.is_file():
            texts = parquet_texts(path) if path.suffix == ".parquet" else [path.read_bytes()]
            if any(names_token(text, needle) for text in texts):
                hits.append(str(path.relative_to(lake)))
    return hits


WARM_DATES = ("2012-07-03", "2012-07-04", "2012-07-05")


def warm_nights(work: Path, lines_per_night: int = 1000, lake_name: str = "lake-warm", env: dict[str, str] | None = None) -> dict:
    """One backfill (one process, `env` added to its environment) over WARM_DATES, each date a new slice of
    the sample; each night's figures from the run log."""
    root = work / "landing-warm"
    with gzip.open(SAMPLE, "rt") as source:
        for date in WARM_DATES:
            folder = root / date / "snap"
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / "slice.txt").open("w") as target:
                for _ in range(lines_per_night):
                    target.write(next(source))
    lake = work / lake_name
    started = time.perf_counter()
    dates = ("--from", WARM_DATES[0], "--to", WARM_DATES[-1])
    done = influence("backfill", *dates, "--input", str(root), "--lake", str(lake), env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"backfill exited {done.returncode}: {done.stderr[-3000:]}")
    nights = [
        {"run_date": run["run_date"], "run_id": run["run_id"], **night_figures(run)} for run in last_runs(lake, len(WARM_DATES))
    ]
    return {"backfill_wall_s": round(wall, 1), "nights": nights}


# What a JVM CPU sample was doing: in a task thread, or else in the driver (py4j's threads serving Python,
# the schedulers): the first activity any frame of its stack matches, in this order.
TASK_ACTIVITIES = (
    ("tasks: deserializing the task", ("java/io/ObjectInputStream",)),
    ("tasks: Parquet and file I/O", ("org/apache/parquet/", "org/apache/hadoop/")),
)
DRIVER_ACTIVITIES = (
    ("driver: serializing tasks", ("java/io/ObjectOutputStream",)),
    ("driver: closure cleaning", ("org/apache/spark/util/ClosureCleaner",)),
    ("driver: Delta log, snapshots, commits", ("org/apache/spark/sql/delta/", "io/delta/")),
    ("driver: query planning (Catalyst)", ("org/apache/spark/sql/catalyst/", "org/apache/spark/sql/execution/")),
    ("driver: class and resource lookup", ("java/util/zip/", "jdk/internal/loader/", "java/lang/ClassLoader")),
)
TASK_THREAD = "Executor task launch worker"


def busy_seconds(intervals: list[tuple[int, int]]) -> float:
    """Seconds covered by at least one of the (start, end) millisecond intervals."""
    covered, reach = 0, None
    for start, end in sorted(intervals):
        if reach is None or start > reach:
            covered, reach = covered + end - start, end
        elif end > reach:
            covered, reach = covered + end - reach, end
    return covered / 1000


def job_intervals_by_group(event_files: list[Path]) -> dict[str, list[tuple[int, int]]]:
    started, groups = {}, {}
    lines = (line for path in event_files for line in path.read_text().splitlines())
    for line in lines:
        event = json.loads(line)
        if event["Event"] == "SparkListenerJobStart":
            group = event.get("Properties", {}).get("spark.jobGroup.id") or "-"
            started[event["Job ID"]] = (group, event["Submission Time"])
        elif event["Event"] == "SparkListenerJobEnd" and event["Job ID"] in started:
            group, start = started.pop(event["Job ID"])
            groups.setdefault(group, []).append((start, event["Completion Time"]))
    return groups


def jvm_activities(recording: Path) -> dict[str, int]:
    java_home = os.environ.get("JAVA_HOME")
    if not java_home:
        raise SystemExit("the profile reads its recording with the JDK's `jfr`: set JAVA_HOME (scripts/find-java.sh finds one)")
    printed = subprocess.run(
        [str(Path(java_home) / "bin" / "jfr"), "print", "--json", "--events", "jdk.ExecutionSample", str(recording)],
        capture_output=True,
        text=True,
        check=True,
    )
    counts: dict[str, int] = {}
    for event in json.loads(printed.stdout)["recording"]["events"]:
        values = event["values"]
        frames = [frame["method"]["type"]["name"] for frame in (values.get("stackTrace") or {}).get("frames", [])]
        in_task = (values["sampledThread"].get("javaName") or "").startswith(TASK_THREAD)
        activities, rest = (TASK_ACTIVITIES, "tasks: computing rows") if in_task else (DRIVER_ACTIVITIES, "driver: other")
        activity = next((name for name, prefixes in activities if any(frame.startswith(prefixes) for frame in frames)), rest)
        counts[activity] = counts.get(activity, 0) + 1
    return counts


def profiled_nights(work: Path) -> dict:
    """The warm backfill with an event log and a JFR recording; figures of its last night."""
    events, recording = work / "events", work / "night.jfr"
    shutil.rmtree(events, ignore_errors=True)
    events.mkdir(parents=True)
    event_log = (
        f"--conf spark.eventLog.enabled=true --conf spark.eventLog.compress=false --conf spark.eventLog.dir={events.as_uri()}"
    )
    profiling = {
        "PYSPARK_SUBMIT_ARGS": f"{event_log} pyspark-shell",
        "JAVA_TOOL_OPTIONS": f"-XX:StartFlightRecording=filename={recording},settings=profile",
    }
    warm = warm_nights(work, lake_name="lake-profile", env=profiling)
    # Spark rolls its event log into events_1_<app>, events_2_<app>, ...
    rolled = [path for path in events.rglob("events_*") if path.is_file()]
    intervals = job_intervals_by_group(sorted(rolled, key=lambda path: int(path.name.split("_")[1])))
    last = warm["nights"][-1]
    group_of = {group.rsplit("/", 1)[1]: group for group in intervals if group.startswith(last["run_id"] + "/")}
    stages = [
        {
            "stage": stage["stage"],
            "seconds": stage["seconds"],
            "spark_jobs": stage["spark_jobs"],
            "in_jobs_s": round(busy_seconds(intervals.get(group_of.get(stage["stage"], ""), [])), 2),
        }
        for stage in last["stages"]
    ]
    return {"run_date": last["run_date"], "job_s": last["job_s"], "stages": stages, "jvm_samples": jvm_activities(recording)}


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
    if "profile" in wanted:
        results["profile"] = profiled_nights(work)
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
    if "profile" in results:
        profile = results["profile"]
        print(f"\nprofile of the warm backfill's last night ({profile['run_date']}), job {profile['job_s']} s")
        print(f"  {'stage':<12}{'seconds':>9}{'in jobs':>9}{'share':>7}{'jobs':>6}")
        for stage in profile["stages"]:
            share = stage["in_jobs_s"] / stage["seconds"] if stage["seconds"] else 0.0
            print(
                f"  {stage['stage']:<12}{stage['seconds']:>9.1f}{stage['in_jobs_s']:>9.1f}{share:>7.0%}{stage['spark_jobs']:>6}"
            )
        in_jobs = sum(stage["in_jobs_s"] for stage in profile["stages"])
        print(f"  {'night':<12}{profile['job_s']:>9.1f}{in_jobs:>9.1f}{in_jobs / profile['job_s']:>7.0%}")
        samples = profile["jvm_samples"]
        print(f"  JVM CPU samples of the whole backfill ({sum(samples.values()):,}), by activity:")
        for activity, count in sorted(samples.items(), key=lambda item: -item[1]):
            print(f"    {activity:<36}{count:>7,}{count / sum(samples.values()):>7.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

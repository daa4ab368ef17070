"""Operating a lake (docs/operations.md): one writer at a time, a night killed with SIGKILL that leaves the
published data as it was and is marked crashed, and backfill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pyspark.sql import functions as F

from influence import storage
from influence.lease import holder_path
from influence.runlog import CRASH_AT_STAGE
from influence.tables import INFLUENCE_SCORES, PROFILES
from jobs.cli import main
from tests.support.cli import nightly, profiles, runs
from tests.support.jvm import short_lived_jvm_env
from tests.support.lakes import copy_lake
from tests.support.snap import DAY_ONE, DAY_ONE_ACCOUNTS, DAY_TWO, WRONG_DUMP, land

SECOND_DATE = "2012-07-02"


def started_night(landing: Path, lake: Path, crash_at: str) -> subprocess.Popen:
    """`influence nightly` in a process of its own, as a scheduler starts it, killing itself (SIGKILL) when
    stage `crash_at` starts; returns once it holds the lake's lease."""
    # One core and one shuffle partition, as the test session's own driver runs: the night is a few lines, and
    # a second core would only take CPU from the other test process.
    command = ["nightly", "--date", SECOND_DATE, "--input", str(landing), "--lake", str(lake), "--master", "local[1]"]
    process = subprocess.Popen(
        [sys.executable, "-m", "jobs.cli", *command, "--set", "spark.shuffle_partitions=1"],
        env=short_lived_jvm_env(**{CRASH_AT_STAGE: crash_at, "PYARROW_IGNORE_TIMEZONE": "1"}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not holder_path(lake).exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the night never took the lease"
        time.sleep(0.1)
    return process


def refused_quickly(argv: list[str], caplog, pid: int) -> None:
    caplog.clear()
    started = time.monotonic()
    assert main(argv) == 4
    assert time.monotonic() - started < 5
    assert f"pid {pid}" in caplog.text and "holds its writer lease" in caplog.text


# The stages after which a killed night has left something half done: bronze (files ingested one commit each),
# silver (the date's rows replaced, accounts and posts merged), scores (staging replaced) and publish (the
# history replaced, then the profiles MERGE). INFLUENCE_TEST_EVERY_CRASH_STAGE=1 kills the night at each of
# its stages in turn (about 15 minutes on 2 cores).
NIGHTLY_STAGES = ("governance", "bronze", "retention", "silver", "consent", "graph", "trust", "pagerank")
NIGHTLY_STAGES += ("communities", "enrich", "scores", "validate", "publish")
CRASH_STAGES = NIGHTLY_STAGES if os.environ.get("INFLUENCE_TEST_EVERY_CRASH_STAGE") else ("bronze", "silver", "scores", "publish")


def test_a_second_writer_is_refused_and_a_night_killed_at_any_stage_changes_nothing(
    spark, first_night, second_night, tmp_path, caplog
):
    """The same night is killed (SIGKILL) at each stage in turn; second_night is that night, undisturbed,
    on another copy of the first night."""
    lake = copy_lake(first_night.lake, tmp_path / "lake")
    landing = land(tmp_path / "d2", "day2.txt", DAY_TWO)
    before = profiles(spark, lake)
    killed = []
    for stage in CRASH_STAGES:
        night = started_night(landing, lake, crash_at=stage)
        if not killed:
            # while it runs, another night and an erasure of the same lake are refused at once
            refused_quickly(["nightly", "--date", SECOND_DATE, "--input", str(landing), "--lake", str(lake)], caplog, night.pid)
            refused_quickly(["erase", "--account", "snap:1", "--lake", str(lake)], caplog, night.pid)
            # a second lake is not held up
            other = copy_lake(first_night.lake, tmp_path / "other")
            assert main(["optout", "--account", "snap:3", "--lake", str(other)]) == 0
        assert night.wait(timeout=600) == -signal.SIGKILL, stage
        assert profiles(spark, lake) == before, stage  # nothing published
        newest = runs(lake)[0]
        assert (newest["run_date"], newest["status"]) == (SECOND_DATE, "running"), stage  # nobody could finish its row
        killed.append(newest["run_id"])

    # the next command takes the dead process's lease over at once, and every killed run is marked crashed
    assert nightly(SECOND_DATE, landing, lake) == 0
    logged = {run["run_id"]: run for run in runs(lake)}
    for run_id, stage in zip(killed, CRASH_STAGES):
        assert logged[run_id]["status"] == "crashed"
        assert logged[run_id]["message"].startswith(f"crashed during its {stage} stage: the process ended"), stage
        assert logged[run_id]["ended_at"] is not None
    assert runs(lake)[0]["status"] == "published"
    assert profiles(spark, lake) == profiles(spark, second_night.lake)


def test_backfill_runs_one_night_per_date_and_keeps_a_score_history_per_person(spark, tmp_path):
    root = tmp_path / "landing"
    land(root / "2012-07-01", "day1.txt", DAY_ONE)
    land(root / "2012-07-02", "day2.txt", DAY_TWO)
    lake = tmp_path / "lake"
    assert main(["backfill", "--from", "2012-07-01", "--to", "2012-07-02", "--input", str(root), "--lake", str(lake)]) == 0
    logged = runs(lake)
    assert [(r["command"], r["run_date"], r["status"]) for r in logged] == [
        ("nightly", "2012-07-02", "published"),
        ("nightly", "2012-07-01", "published"),
    ]
    history = storage.read(spark, INFLUENCE_SCORES, lake)
    dates = {
        row.account_id: sorted(d.isoformat() for d in row.dates)
        for row in history.groupBy("account_id").agg(F.collect_list("run_date").alias("dates")).collect()
    }
    assert dates == {
        **{account: ["2012-07-01", "2012-07-02"] for account in DAY_ONE_ACCOUNTS},
        "20": ["2012-07-02"],
        "21": ["2012-07-02"],
    }
    assert {row.as_of_date.isoformat() for row in storage.read(spark, PROFILES, lake).collect()} == {"2012-07-02"}


def test_backfill_checks_every_date_first_and_stops_at_the_first_failure(spark, first_night, tmp_path, caplog):
    lake = copy_lake(first_night.lake, tmp_path / "lake")
    root = tmp_path / "landing"
    land(root / "2012-07-02", "day2.txt", WRONG_DUMP)
    land(root / "2012-07-04", "day4.txt", DAY_TWO)
    logged_before = len(runs(lake))
    argv = ["backfill", "--from", "2012-07-02", "--to", "2012-07-04", "--input", str(root), "--lake", str(lake)]
    assert main(argv) == 2
    assert "has no landing folder for 2012-07-03" in caplog.text
    assert len(runs(lake)) == logged_before  # refused before anything ran

    land(root / "2012-07-03", "day3.txt", DAY_TWO)
    assert main(argv) == 1  # 2012-07-02 is the wrong dump: held back, and the later dates are not run
    logged = runs(lake)
    assert len(logged) == logged_before + 1
    assert (logged[0]["run_date"], logged[0]["status"], logged[0]["exit_code"]) == ("2012-07-02", "validation_failed", 1)
    assert "backfill stopped at 2012-07-02 (exit 1); 2 later date(s) not run" in caplog.text

"""The run log (influence/runlog.py): a run that never finished its row is marked crashed by the next one,
and a lake whose last run finished is not searched for dead runs at all."""

from __future__ import annotations

import pytest

from influence import storage
from influence.lease import last_progress
from influence.runlog import FINISHED, RunLog, RunRecord, new_run_id
from influence.tables import RUNS


def logged(spark, lake) -> dict[str, tuple]:
    return {row.run_id: (row.status, row.exit_code, row.message) for row in storage.read(spark, RUNS, lake).collect()}


def record(command: str) -> RunRecord:
    return RunRecord(new_run_id(None), command, None, None, "local[2]")


def test_a_dead_run_is_marked_crashed_and_a_finished_lake_is_not_searched(spark, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    runlog = RunLog(spark, lake)
    dead = record("erase")
    runlog.start(dead)  # and the process dies before its first stage

    survivor = record("optout")
    with runlog.recording(survivor):
        pass
    runlog.finish(survivor, "done", 0, "fine")
    assert logged(spark, lake)[dead.run_id] == (
        "crashed",
        None,
        f"crashed before its first stage: the process ended without finishing the run (found by run {survivor.run_id})",
    )
    assert last_progress(lake)["run_id"] == survivor.run_id and last_progress(lake)["stage"] == FINISHED

    # the last run finished its row: the next command does not read the run log to look for dead runs
    def must_not_run(*args):
        raise AssertionError("searched a lake whose last run finished")

    monkeypatch.setattr(RunLog, "mark_crashed", must_not_run)
    failing = record("access")
    with pytest.raises(ZeroDivisionError), runlog.recording(failing):
        _ = 1 / 0
    assert logged(spark, lake)[failing.run_id] == (
        "failed",
        3,
        "ZeroDivisionError (its message and traceback are in the command's log)",
    )

    # an error's text can quote a value: the run log keeps its type only
    quoting = record("publish")
    with pytest.raises(ValueError), runlog.recording(quoting):
        raise ValueError("twitter:7301942265 is not staged")
    assert "7301942265" not in logged(spark, lake)[quoting.run_id][2]

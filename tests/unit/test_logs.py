"""`--log-format json` (influence/logs.py): one JSON object per line, and one event per stage carrying the
same figures as the run log's `stages` entry; the default stays human-readable."""

from __future__ import annotations

import json
import logging

import pytest

from influence.logs import configure
from influence.runlog import RunRecord
from jobs.cli import main
from stages.result import Counts


@pytest.fixture
def restore_text_logs():
    yield
    configure("text")


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_each_stage_is_one_json_event_with_the_run_logs_figures(capfd, restore_text_logs):
    configure("json")
    record = RunRecord("2012-07-01_run", "nightly", None, None, None)
    record.run("bronze", lambda files: Counts(extra={"files_ingested": files}), 2)
    with pytest.raises(ValueError):
        record.run("silver", lambda: (_ for _ in ()).throw(ValueError("bad line")))
    lines = json_lines(capfd.readouterr().err)
    events = [line for line in lines if line.get("event") == "stage"]
    assert [(e["stage"], e["status"]) for e in events] == [("bronze", "done"), ("silver", "failed")]
    bronze, silver = events
    assert {key: bronze[key] for key in ("run_id", "seconds", "spark_jobs", "counts")} == {
        "run_id": "2012-07-01_run",
        **{key: record.stages[0][key] for key in ("seconds", "spark_jobs", "counts")},
    }
    assert bronze["counts"] == {"files_ingested": 2}
    assert silver["counts"] == {} and silver["seconds"] == record.stages[1]["seconds"]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert "bronze: done in" in bronze["message"]


def test_text_is_the_default_and_a_bad_format_is_refused(capfd):
    configure("text")
    logging.getLogger("influence.progress").info("silver: done in 1.0s")
    err = capfd.readouterr().err
    assert "INFO influence.progress: silver: done in 1.0s" in err and not json_lines(err)
    assert main(["--log-format", "xml", "runs"]) == 2
    assert "invalid choice: 'xml'" in capfd.readouterr().err


def test_the_command_line_logs_its_errors_as_json(capfd, tmp_path, restore_text_logs):
    assert main(["--log-format", "json", "status", "--lake", str(tmp_path / "nowhere")]) == 2
    [error] = [line for line in json_lines(capfd.readouterr().err) if line["level"] == "ERROR"]
    assert error["logger"] == "influence" and "does not exist" in error["message"]

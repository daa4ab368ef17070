"""An erasure's file work: commit logs keep valid JSON, their file times and no stale checksum; behind a URI too."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stages.governance import redact_commit_logs
from transforms.erasure import PersonNames

LINKED = PersonNames.of("p-zq", [("twitter", "7301")], [("twitter", "zorbulon_quix")])


ADD = {"add": {"path": "run_date=2022-06-06/part-0.parquet", "size": 7301, "dataChange": True}}
NAMED = {
    "commitInfo": {
        "operation": "WRITE",
        "operationParameters": {"predicate": "[\"file = 'twitter_v1/zorbulon_quix-archive.jsonl'\"]"},
        "operationMetrics": {"numFiles": "7301"},
    }
}
REDACTED_PARAMETERS = {"predicate": "[\"file = 'twitter_v1/[erased]-archive.jsonl'\"]"}
COUNTS_ONLY = {
    "commitInfo": {"operation": "WRITE", "operationParameters": {"mode": "Append"}, "operationMetrics": {"numFiles": "7301"}}
}


def written_commit_log(table: Path) -> tuple[Path, Path]:
    """A table's two commits: one whose parameters name the person, then one with counts only."""
    log = table / "_delta_log"
    log.mkdir()
    first, second = log / "00000000000000000000.json", log / "00000000000000000001.json"
    first.write_text(json.dumps(NAMED) + "\n" + json.dumps(ADD) + "\n")
    second.write_text(json.dumps(COUNTS_ONLY) + "\n")
    return first, second


def test_commit_logs_behind_a_uri_are_redacted_through_hadoop(spark, tmp_path):
    """An object store's commit files are read and rewritten through Hadoop's file system API, which a
    file:// URI reaches the same way as s3a:// (tests/e2e/test_object_store.py runs it on an S3 server)."""
    first, second = written_commit_log(tmp_path)
    before_second = second.read_bytes()

    assert redact_commit_logs(tmp_path.as_uri(), LINKED, spark) == 1
    actions = [json.loads(line) for line in first.read_text().splitlines()]
    assert actions[0]["commitInfo"]["operationParameters"] == REDACTED_PARAMETERS
    assert actions[1] == ADD
    assert second.read_bytes() == before_second
    with pytest.raises(ValueError, match="reached through a Spark session"):
        redact_commit_logs(tmp_path.as_uri(), LINKED)


def test_commit_parameters_naming_a_person_are_redacted_and_nothing_else(tmp_path):
    first, second = written_commit_log(tmp_path)
    log = first.parent
    (log / f".{first.name}.crc").write_text("stale")
    os.utime(first, ns=(1_000_000_000, 1_655_000_000_000_000_000))
    before_second = second.read_bytes()

    assert redact_commit_logs(str(tmp_path), LINKED) == 1
    actions = [json.loads(line) for line in first.read_text().splitlines()]
    assert actions[0]["commitInfo"]["operationParameters"] == REDACTED_PARAMETERS
    assert actions[0]["commitInfo"]["operationMetrics"] == {"numFiles": "7301"}  # a count, not the account
    assert actions[1] == ADD
    assert first.stat().st_mtime_ns == 1_655_000_000_000_000_000  # the commit's timestamp for TIMESTAMP AS OF
    assert not (log / f".{first.name}.crc").exists()
    assert second.read_bytes() == before_second  # a numeric id among the metrics only: not rewritten

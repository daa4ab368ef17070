"""Erasure exactly as wide as the person (docs/privacy.md#erasure): on a lake of four networks, erasing one
SNAP account leaves every other network's rows as they were; a landed erasure whose purge fails is completed
by the next run, which then sends the feed's delete."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

from pyspark.sql import Column, functions as F

import stages.governance as governance_stage
from expectations.runner import gx_dir, validation_results_dir
from influence import storage
from influence.tables import (
    ACCOUNTS,
    COMMUNITIES,
    ERASURES,
    GOVERNANCE_REQUESTS,
    IDENTITY_LINKS,
    INFLUENCE_SCORES,
    INTERACTIONS,
    POSTS,
    PROFILES,
    QUARANTINE,
    RAW_LINES,
    Table,
)
from tests.support.cli import nightly, run
from tests.support.lakes import copy_lake, copy_world
from tests.support.scan import exported_lines, files_naming
from tests.support.twitter import ERASED, ERASED_ID, JUNE_6, JUNE_7, land_world


def other_networks_rows(spark, lake: Path, network: str, person_id: str) -> dict[str, list[str]]:
    """Every row, as JSON, that is not of `network` and does not name `person_id` (a linked person's
    explanation may name an engager of that network), table by table, sorted."""
    naming = rf'"{re.escape(person_id)}"'
    not_of_network: list[tuple[Table, Column]] = [
        (RAW_LINES, F.col("source") != "snap"),
        (QUARANTINE, F.col("source") != "snap"),
        *[(table, F.col("network") != network) for table in (INTERACTIONS, POSTS, ACCOUNTS, IDENTITY_LINKS)],
        (INFLUENCE_SCORES, F.col("network") != network),
        (PROFILES, F.col("network") != network),
        (COMMUNITIES, F.lit(True)),
    ]
    rows = {}
    for table, condition in not_of_network:
        frame = storage.read(spark, table, lake)
        serialized = F.to_json(F.struct(*[F.col(name) for name in frame.columns])).alias("row")
        kept = frame.filter(condition).select(serialized).filter(~F.col("row").rlike(naming))
        rows[table.qualified_name] = sorted(row.row for row in kept.collect())  # a small generated lake
    return rows


def gx_project_files(lake: Path) -> dict[str, bytes]:
    """The GX project's suites, definitions, checkpoints and configs (validation results aside)."""
    results = validation_results_dir(lake)
    return {
        str(path.relative_to(lake)): path.read_bytes()
        for path in gx_dir(lake).rglob("*")
        if path.is_file() and results not in path.parents
    }


def test_erasing_a_snap_account_leaves_every_other_network_as_it_was(spark, analyst_lake, tmp_path):
    lake = copy_lake(analyst_lake.lake, tmp_path / "lake")
    linked = {(row.network, row.account_id) for row in storage.read(spark, IDENTITY_LINKS, lake).collect()}
    published = {row.person_id for row in storage.read(spark, PROFILES, lake).select("person_id").collect()}
    other_lines = [row.line for row in storage.read(spark, RAW_LINES, lake).filter(F.col("source") != "snap").collect()]

    def lines_with_token(account_id: str) -> int:
        token = re.compile(rf"(?<!\w){account_id}(?!\w)")
        return sum(1 for line in other_lines if token.search(line))

    # The published SNAP account without a link whose id is a bare token of the most other networks' lines:
    # matching by token alone would delete those lines.
    candidates = [p.split(":", 1)[1] for p in published if p.startswith("snap:") and ("snap", p.split(":", 1)[1]) not in linked]
    account = max(sorted(candidates), key=lines_with_token)
    assert lines_with_token(account) >= 10, "other networks' lines must hold the id as a token, or this proves nothing"
    person = f"snap:{account}"
    before, gx_before = other_networks_rows(spark, lake, "snap", person), gx_project_files(lake)

    code, printed = run("erase", "--account", person, "--lake", str(lake))
    assert code == 0, printed

    assert other_networks_rows(spark, lake, "snap", person) == before
    assert gx_project_files(lake) == gx_before
    for path in gx_dir(lake).rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # every GX JSON file still parses
    assert person not in {row.person_id for row in storage.read(spark, PROFILES, lake).select("person_id").collect()}
    own = storage.read(spark, INTERACTIONS, lake).filter(
        (F.col("network") == "snap") & ((F.col("actor") == account) | (F.col("target") == account))
    )
    assert own.isEmpty()
    snap_lines = storage.read(spark, RAW_LINES, lake).filter(F.col("source") == "snap").select("line").collect()
    assert not [row.line for row in snap_lines if account in row.line.split()]
    # the next night (the last date again, on the same landing folder) publishes
    date = analyst_lake.dates[-1]
    assert nightly(date, analyst_lake.lake.parent / "landing" / date, lake) == 0


def test_a_landed_erasure_whose_purge_fails_is_completed_by_the_next_run(spark, privacy_world, tmp_path, monkeypatch):
    landing, lake = copy_world(privacy_world, tmp_path)
    version_before = storage.current_version(spark, PROFILES, lake)
    request = {"account": f"twitter:{ERASED_ID}", "action": "erase", "requested_at": "2022-06-07T08:00:00Z"}
    land_world(landing, JUNE_7, "6001", governance=[request])
    real_purge_table, failed = governance_stage.purge_table, []

    def failing_once(spark, table, *args):
        if table is POSTS and not failed:
            failed.append(table)
            raise OSError("disk full")
        return real_purge_table(spark, table, *args)

    monkeypatch.setattr(governance_stage, "purge_table", failing_once)
    assert nightly(JUNE_7, landing, lake) == 3
    assert failed == [POSTS]
    # the night published nothing (the tables purged before the failure may already be without them)
    published_dates = {row.as_of_date.isoformat() for row in storage.read(spark, PROFILES, lake).select("as_of_date").collect()}
    assert published_dates == {JUNE_6}
    assert not storage.exists(spark, ERASURES, lake) or storage.read(spark, ERASURES, lake).isEmpty()
    [pending] = storage.read(spark, GOVERNANCE_REQUESTS, lake).collect()
    assert pending.outcome == "purge pending"

    monkeypatch.undo()
    assert nightly(JUNE_7, landing, lake) == 0
    [done] = storage.read(spark, GOVERNANCE_REQUESTS, lake).collect()
    assert (done.request_id, done.outcome) == (pending.request_id, "applied")
    assert [row.request_id for row in storage.read(spark, ERASURES, lake).collect()] == [pending.request_id]
    assert files_naming(lake, ERASED) == []
    # the feed's delete goes out: a consumer at version_before is sent the erased profile's key
    key = bytes.fromhex((lake / "governance" / "_key").read_text().strip())
    expected_key = hmac.new(key, f"profile:twitter:{ERASED_ID}".encode(), hashlib.sha256).hexdigest()
    export = tmp_path / "export"
    code, _ = run(
        "export", "--date", JUNE_7, "--since-version", str(version_before), "--format", "jsonl", "--out", str(export),
        "--lake", str(lake),
    )  # fmt: skip
    assert code == 0
    deletes = [line for line in exported_lines(export) if line["change_type"] == "delete"]
    assert deletes == [{"profile_key": expected_key, "change_type": "delete"}]

"""`influence housekeeping` on a copy of the two-nights lake: every table vacuumed to the horizon, old
validation results and Data Docs pages deleted, the published data unchanged, and Delta's console line kept
out of the output; and the nightly's own schedule (stages/housekeeping.py: tidy_if_due)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from influence import storage
from influence.config import load_config
from influence.storage import Lake
from influence.tables import ALL_TABLES, RUNS
from stages.housekeeping import last_run, marker_path, tidy_if_due
from tests.support.cli import profiles, run, runs
from tests.support.lakes import copy_lake


def data_files(lake, table) -> set[str]:
    folder = lake / table.layer / table.name
    return {str(p.resolve()) for p in folder.rglob("*.parquet") if "_delta_log" not in p.parts}


def stored_files(folder) -> list:
    """Validation results or pages: every file but the store's hidden bookkeeping."""
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]


def current_files(spark, lake, table) -> set[str]:
    """The files the table's current version reads (Delta's own answer, not the housekeeping code's)."""
    return {path.removeprefix("file:") for path in storage.read(spark, table, lake).inputFiles()}


def test_housekeeping_vacuums_every_table_and_deletes_old_validations(spark, two_nights, tmp_path, capfd):
    lake = copy_lake(two_nights.lake, tmp_path / "lake")
    tables = [table for table in ALL_TABLES if storage.exists(spark, table, lake)]
    before = {table.qualified_name: data_files(lake, table) for table in tables}
    results, pages = (
        stored_files(lake / "ops" / "gx" / "uncommitted" / "validations"),
        stored_files(lake / "ops" / "data_docs" / "validations"),
    )
    published = profiles(spark, lake)
    assert results and pages

    code, printed = run(
        "housekeeping",
        "--lake",
        str(lake),
        "--set",
        "housekeeping.keep_versions_hours=0",
        "--set",
        "housekeeping.keep_validations_days=0",
    )
    assert code == 0, printed

    deleted = 0
    for table in tables:
        if table is RUNS:
            continue  # the command's own run-log row is written after its vacuum (the MERGE that finishes it)
        after = data_files(lake, table)
        assert after == current_files(spark, lake, table), table.qualified_name  # nothing unused is left
        assert after <= before[table.qualified_name]
        deleted += len(before[table.qualified_name] - after)
    assert deleted > 0  # night two replaced its date's lines and staged scores: files only version 1 used
    assert profiles(spark, lake) == published
    assert not stored_files(lake / "ops" / "gx" / "uncommitted" / "validations")
    assert not stored_files(lake / "ops" / "data_docs" / "validations")

    [logged] = [r for r in runs(lake) if r["command"] == "housekeeping"]
    counts = logged["stages"][0]["counts"]
    assert counts == {
        "ran": 1,
        "tables_vacuumed": len(tables),
        "files_vacuumed": counts["files_vacuumed"],
        "validation_results_deleted": len(results),
        "data_docs_pages_deleted": len(pages),
    }
    assert counts["files_vacuumed"] >= deleted  # Delta also counts files the data folders' listing above skips
    assert f"{len(tables)} tables vacuumed to 0 hours" in printed
    assert "Deleted" not in capfd.readouterr().out  # VACUUM's console line is not printed
    assert last_run(lake) is not None


def test_a_night_runs_housekeeping_only_when_it_is_due(spark, first_night, tmp_path):
    lake_root = copy_lake(first_night.lake, tmp_path / "lake")
    config = load_config(lake=str(lake_root), environ={})
    lake = Lake(spark, lake_root)
    marker_path(lake_root).unlink(missing_ok=True)
    now = dt.datetime(2030, 1, 8, tzinfo=dt.UTC)

    first = tidy_if_due(lake, config, now)  # no record yet: the clock starts, nothing is deleted
    assert not first.ran and last_run(lake_root) == now
    assert not tidy_if_due(lake, config, now + dt.timedelta(days=6, hours=23)).ran
    published = profiles(spark, lake_root)
    due = tidy_if_due(lake, config, now + dt.timedelta(days=7))
    assert due.ran and due.tables_vacuumed == sum(storage.exists(spark, t, lake_root) for t in ALL_TABLES)
    assert json.loads(marker_path(lake_root).read_text())["last_run"].startswith("2030-01-15")
    assert profiles(spark, lake_root) == published
    never = config.replace(housekeeping=dataclasses.replace(config.housekeeping, every_days=0))
    assert not tidy_if_due(lake, never, now + dt.timedelta(days=700)).ran

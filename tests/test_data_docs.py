"""Every night's validations as Great Expectations Data Docs under <lake>/ops/data_docs, linked from the run log,
on a lake whose run log was created before the `data_docs` column existed."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
from pyspark.sql import types as T

from influence import storage
from influence.tables import RUNS, Table
from tests.test_nightly import DAY_ONE, JULY_1, land, nightly, runs

OLD_RUN_ID = "2012-06-30_20120630T230000Z_000000"


def older_run_log(spark, lake: Path) -> list[str]:
    """The run log as the first release wrote it: no data_docs column, one finished run. Returns its columns."""
    old_schema = T.StructType([field for field in RUNS.schema.fields if field.name != "data_docs"])
    started = dt.datetime(2012, 6, 30, 23, 0, tzinfo=dt.timezone.utc)
    row = {
        "run_id": OLD_RUN_ID, "command": "nightly", "run_date": dt.date(2012, 6, 30), "status": "published",
        "exit_code": 0, "started_at": started, "ended_at": started + dt.timedelta(minutes=1),
        "input": None, "master": "local[*]", "stages": [], "reconciliation": [], "validation": [],
        "message": "published 2 profiles as of 2012-06-30 (profiles version 1)",
    }
    spark.createDataFrame([row], old_schema).write.format("delta").save(RUNS.path(lake))
    return old_schema.fieldNames()


def page_text(path: Path) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    markup = re.sub(r"<script.*?</script>|<style.*?</style>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def test_ensure_table_adds_missing_nullable_columns_to_an_older_table(spark, tmp_path):
    lake = tmp_path / "lake"
    old_columns = older_run_log(spark, lake)
    assert "data_docs" not in old_columns

    storage.ensure_table(spark, RUNS, lake)
    version = storage.current_version(spark, RUNS, lake)
    storage.ensure_table(spark, RUNS, lake)  # nothing left to add: no new commit
    assert storage.current_version(spark, RUNS, lake) == version
    [row] = storage.read(spark, RUNS, lake).collect()
    assert row.__fields__ == old_columns + ["data_docs"]
    assert (row.run_id, row.status, row.message, row.data_docs) == (
        OLD_RUN_ID, "published", "published 2 profiles as of 2012-06-30 (profiles version 1)", None
    )

    # A NOT NULL column cannot be added to rows that exist: refused, naming it, and the table is left alone.
    owner = T.StructField("owner", T.StringType(), False)
    stricter = Table("ops", "runs", T.StructType([*RUNS.schema.fields, owner]), key=("run_id",))
    with pytest.raises(ValueError, match=r"lacks NOT NULL column\(s\) \['owner'\]"):
        storage.ensure_table(spark, stricter, lake)
    assert storage.current_version(spark, RUNS, lake) == version


def test_every_night_writes_data_docs_and_the_run_log_links_them(spark, tmp_path, capsys):
    lake = tmp_path / "lake"
    older_run_log(spark, lake)  # a lake from before this change keeps working

    assert nightly("2012-07-01", land(tmp_path / "d1", "day1.txt", DAY_ONE), lake) == 0
    # The wrong dump: 8 of 9 lines are malformed, far above the 5% the reconciliation suite allows.
    garbage = land(tmp_path / "d2", "day2.txt", ['{"id": 1, "text": "hello"}'] * 8 + [f"1 2 {JULY_1 + 86400} RT"])
    assert nightly("2012-07-02", garbage, lake) == 1

    failing, passing, old = runs(lake, capsys)
    assert (failing["status"], passing["status"], old["run_id"]) == ("validation_failed", "published", OLD_RUN_ID)
    assert old["data_docs"] is None

    docs = lake / "ops" / "data_docs"
    assert (docs / "index.html").is_file()
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert passing["run_id"] in index and failing["run_id"] in index
    # Every validation is rendered, passing or not: 8 suites on the published (first: no run-over-run) night,
    # 6 (bronze and silver) on the failed one.
    assert len(list((docs / "validations").rglob("*.html"))) == 8 + 6
    for name in ("reconciliation", "silver_interactions", "influence_scores"):  # validated through Checkpoints
        assert (lake / "ops" / "gx" / "checkpoints" / f"{name}_checkpoint.json").is_file()

    for run in (passing, failing):
        page = Path(run["data_docs"])
        assert page.is_file() and docs in page.parents and run["run_id"] in page.parts

    passed = page_text(Path(passing["data_docs"]))  # the last suite of a published night
    assert "Expectation Suite: profiles" in passed and "Status: Succeeded" in passed

    failed = page_text(Path(failing["data_docs"]))  # the run links to its failed suite's page
    assert "Expectation Suite: reconciliation" in failed and "Status: Failed" in failed
    section = failed[failed.index("quarantined_fraction Status"):]
    assert "values must be greater than or equal to 0.0 and less than or equal to 0.05" in section

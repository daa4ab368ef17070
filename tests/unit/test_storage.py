"""influence.storage: ensure_table on a table an older release created (missing nullable columns are added), and the
latest commit read from the Delta log."""

from __future__ import annotations

import pytest
from delta.tables import DeltaTable
from pyspark.sql import types as T

from influence import storage
from influence.tables import RUNS, Table
from tests.support.lakes import OLD_RUN_ID, older_run_log


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
        OLD_RUN_ID,
        "published",
        "published 2 profiles as of 2012-06-30 (profiles version 1)",
        None,
    )
    # fields added inside struct columns (an array of structs here) too, null on the old rows
    [stage], [validation] = row.stages, row.validation
    assert stage.asDict() == {"stage": "silver", "seconds": 1.5, "counts": {"raw_lines": 2}, "spark_jobs": None}
    assert validation.asDict() == {
        "suite": "profiles",
        "success": True,
        "evaluated": 12,
        "failed": [],
        "seconds": 0.5,
        "engine": None,
    }
    assert storage.read(spark, RUNS, lake).schema.simpleString() == RUNS.schema.simpleString()

    # A NOT NULL column cannot be added to rows that exist: refused, naming it, and the table is left alone.
    owner = T.StructField("owner", T.StringType(), False)
    stricter = Table("ops", "runs", T.StructType([*RUNS.schema.fields, owner]), key=("run_id",))
    with pytest.raises(ValueError, match=r"lacks NOT NULL column\(s\) \['owner'\]"):
        storage.ensure_table(spark, stricter, lake)
    assert storage.current_version(spark, RUNS, lake) == version


def history_says(spark, lake) -> tuple[int, dict[str, int]]:
    """The latest version and its commit's row counts as Delta's own history gives them."""
    latest = DeltaTable.forPath(spark, str(lake)).history(1).select("version", "operationMetrics").first()
    return latest.version, {name: int(value) for name, value in latest.operationMetrics.items() if value.isdigit()}


def test_the_latest_commit_is_read_as_deltas_history_gives_it(spark, tmp_path):
    """storage reads a commit's version and row counts from the Delta log itself; after each kind of commit a
    night makes (a write, a MERGE, a delete, a replacement) they are those of DeltaTable.history(1)."""
    lake = tmp_path / "t"
    spark.createDataFrame([(1, "a"), (2, "b"), (3, "c")], "k int, v string").write.format("delta").save(str(lake))
    table = DeltaTable.forPath(spark, str(lake))
    version, metrics = storage._latest_commit(table)
    assert (version, metrics) == history_says(spark, lake)
    assert (version, metrics["numOutputRows"]) == (0, 3)

    changes = spark.createDataFrame([(2, "B"), (4, "d")], "k int, v string")
    table.alias("t").merge(changes.alias("c"), "t.k = c.k").whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    version, metrics = storage._latest_commit(table)
    assert (version, metrics) == history_says(spark, lake)
    assert (version, metrics["numTargetRowsUpdated"], metrics["numTargetRowsInserted"], metrics["numSourceRows"]) == (1, 1, 1, 2)

    table.delete("k = 1")
    assert storage._latest_commit(table) == history_says(spark, lake)
    assert storage._latest_commit(table)[0] == 2
    spark.createDataFrame([(9, "z")], "k int, v string").write.format("delta").mode("overwrite").save(str(lake))
    assert storage._latest_commit(table) == history_says(spark, lake)
    assert storage._latest_commit(table)[0] == 3

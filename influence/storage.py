"""Delta Lake reads and writes of the registered tables: the only place that touches table paths."""

from __future__ import annotations

from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from influence.tables import Table


def ensure_table(spark: SparkSession, table: Table, lake: Path) -> DeltaTable:
    """The table at its path, created empty with its registered schema the first time.

    A table created by an older release gets the registered columns it lacks, when they are nullable
    (top-level columns only; Delta's createIfNotExists alone would keep the old schema silently).
    """
    builder = DeltaTable.createIfNotExists(spark).location(table.path(lake)).addColumns(table.schema)
    if table.partition_by:
        builder = builder.partitionedBy(*table.partition_by)
    for key, value in table.all_properties.items():
        builder = builder.property(key, value)
    delta_table = builder.execute()
    _set_missing_properties(spark, table, lake)
    present = set(delta_table.toDF().columns)
    missing = [f for f in table.schema.fields if f.name not in present]
    if not missing:
        return delta_table
    required = [f.name for f in missing if not f.nullable]
    if required:
        raise ValueError(
            f"{table.qualified_name} at {table.path(lake)} lacks NOT NULL column(s) {required}, which cannot be "
            f"added to existing rows; it has {sorted(present)}"
        )
    columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in missing)
    spark.sql(f"ALTER TABLE delta.`{table.path(lake).replace('`', '``')}` ADD COLUMNS ({columns})")
    return DeltaTable.forPath(spark, table.path(lake))


def _set_missing_properties(spark: SparkSession, table: Table, lake: Path) -> None:
    """A table created by an older release gets the properties it lacks (one metadata commit, once)."""
    current = table_properties(spark, table, lake)
    missing = {key: value for key, value in table.all_properties.items() if current.get(key) != value}
    if missing:
        settings = ", ".join(f"'{key}' = '{value}'" for key, value in sorted(missing.items()))
        spark.sql(f"ALTER TABLE delta.`{table.path(lake).replace('`', '``')}` SET TBLPROPERTIES ({settings})")


def exists(spark: SparkSession, table: Table, lake: Path) -> bool:
    return DeltaTable.isDeltaTable(spark, table.path(lake))


def read(spark: SparkSession, table: Table, lake: Path, version: int | None = None) -> DataFrame:
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(table.path(lake))


def conform(df: DataFrame, table: Table) -> DataFrame:
    """The frame with exactly the table's columns, in order and cast to its types; names what is missing."""
    missing = [name for name in table.columns if name not in df.columns]
    if missing:
        raise ValueError(f"{table.qualified_name}: missing column(s) {missing}; frame has {df.columns}")
    return df.select(*[df[f.name].cast(f.dataType).alias(f.name) for f in table.schema.fields])


def append(df: DataFrame, table: Table, lake: Path) -> None:
    conform(df, table).write.format("delta").mode("append").save(table.path(lake))


def replace_where(df: DataFrame, table: Table, lake: Path, condition: str) -> None:
    """Atomically replace the rows matching `condition` (a SQL predicate) with `df`: one Delta commit."""
    (
        conform(df, table).write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", condition)
        .save(table.path(lake))
    )


def overwrite(df: DataFrame, table: Table, lake: Path) -> None:
    conform(df, table).write.format("delta").mode("overwrite").save(table.path(lake))


def last_commit_metrics(spark: SparkSession, table: Table, lake: Path) -> dict[str, int]:
    """Row counts Delta recorded for the latest commit (one-row metadata)."""
    history = DeltaTable.forPath(spark, table.path(lake)).history(1).select("operationMetrics").first()
    metrics = (history.operationMetrics if history else None) or {}
    return {name: int(value) for name, value in metrics.items() if value.isdigit()}


def current_version(spark: SparkSession, table: Table, lake: Path) -> int:
    return DeltaTable.forPath(spark, table.path(lake)).history(1).select("version").first().version


def version_range(spark: SparkSession, table: Table, lake: Path) -> tuple[int, int]:
    """The oldest and newest versions the table's history still holds (one-row aggregate)."""
    bounds = DeltaTable.forPath(spark, table.path(lake)).history().agg(F.min("version"), F.max("version")).first()
    return int(bounds[0]), int(bounds[1])


def restore(spark: SparkSession, table: Table, lake: Path, version: int) -> None:
    """Bring the table back to `version` in one Delta commit (RESTORE); none when it is already there."""
    DeltaTable.forPath(spark, table.path(lake)).restoreToVersion(version)


def read_changes(spark: SparkSession, table: Table, lake: Path, starting_version: int, ending_version: int) -> DataFrame:
    """Change Data Feed rows of commits starting_version..ending_version (the table must have CDF on)."""
    return (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", starting_version)
        .option("endingVersion", ending_version)
        .load(table.path(lake))
    )


def table_properties(spark: SparkSession, table: Table, lake: Path) -> dict[str, str]:
    """The table's Delta properties (one-row metadata)."""
    return DeltaTable.forPath(spark, table.path(lake)).detail().select("properties").first().properties or {}

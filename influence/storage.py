"""Delta Lake reads and writes of the registered tables: the only place that touches table paths."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from delta.tables import DeltaTable
from py4j.protocol import Py4JError
from pyspark.sql import DataFrame, SparkSession, functions as F, types as T

from influence.location import LakeLike, LakeLocation
from influence.session import partition_values_only
from influence.tables import Table


def ensure_table(spark: SparkSession, table: Table, lake: LakeLike) -> DeltaTable:
    """The table at its path, created empty with its registered schema the first time.

    A table created by an older release gets the registered columns it lacks, when they are nullable
    (fields of struct columns too; Delta's createIfNotExists alone would keep the old schema silently), and
    the registered properties it lacks. Only metadata is read: no Spark job for an existing table.
    """
    path = table.path(lake)
    if not DeltaTable.isDeltaTable(spark, path):
        builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(table.schema)
        if table.partition_by:
            builder = builder.partitionedBy(*table.partition_by)
        for key, value in table.all_properties.items():
            builder = builder.property(key, value)
        return builder.execute()
    delta_table = DeltaTable.forPath(spark, path)
    _set_missing_properties(spark, table, lake)
    existing = delta_table.toDF().schema
    missing = _missing_fields(table.schema, existing)
    if not missing:
        return delta_table
    required = [name.replace("`", "") for name, field in missing if not field.nullable]
    if required:
        raise ValueError(
            f"{table.qualified_name} at {path} lacks NOT NULL column(s) {required}, which cannot be "
            f"added to existing rows; it has {sorted(existing.fieldNames())}"
        )
    columns = ", ".join(f"{name} {field.dataType.simpleString()}" for name, field in missing)
    spark.sql(f"ALTER TABLE {_sql_path(path)} ADD COLUMNS ({columns})")
    return DeltaTable.forPath(spark, path)


def _missing_fields(registered: T.StructType, existing: T.StructType, prefix: str = "") -> list[tuple[str, T.StructField]]:
    """The registered fields `existing` lacks, each with its SQL path: top-level columns, and fields of a
    struct column or of an array of structs (`validation`.element.`engine`), as ALTER TABLE names them."""
    present = {field.name: field for field in existing.fields}
    missing = []
    for field in registered.fields:
        name = f"{prefix}`{field.name.replace('`', '``')}`"
        if field.name not in present:
            missing.append((name, field))
            continue
        wanted, found = field.dataType, present[field.name].dataType
        if isinstance(wanted, T.ArrayType) and isinstance(found, T.ArrayType):
            wanted, found, name = wanted.elementType, found.elementType, f"{name}.element"
        if isinstance(wanted, T.StructType) and isinstance(found, T.StructType):
            missing.extend(_missing_fields(wanted, found, f"{name}."))
    return missing


def _sql_path(path: str) -> str:
    return "delta.`" + path.replace("`", "``") + "`"


def _set_missing_properties(spark: SparkSession, table: Table, lake: LakeLike) -> None:
    """A table created by an older release gets the properties it lacks (one metadata commit, once)."""
    current = table_properties(spark, table, lake)
    missing = {key: value for key, value in table.all_properties.items() if current.get(key) != value}
    if missing:
        settings = ", ".join(f"'{key}' = '{value}'" for key, value in sorted(missing.items()))
        spark.sql(f"ALTER TABLE {_sql_path(table.path(lake))} SET TBLPROPERTIES ({settings})")


def vacuum_now(spark: SparkSession, *table_paths: str) -> None:
    """VACUUM RETAIN 0 HOURS: every file the current version does not use is deleted now (erasure, retention)."""
    vacuum(spark, table_paths, retain_hours=0.0)


def vacuum(spark: SparkSession, table_paths: Sequence[str], retain_hours: float) -> dict[str, int]:
    """VACUUM each table: files the versions of the last `retain_hours` do not use are deleted. Returns the
    number of files deleted per table (from the VACUUM END commit Delta logs, see session.py).

    Several tables are vacuumed side by side: each vacuum is mostly file listing and small jobs, so
    their latencies overlap instead of adding up. A horizon under Delta's 7-day safety check is asked
    for on purpose (erasure, retention, a configured housekeeping horizon), so the check is lifted for it."""
    previous = spark.conf.get("spark.databricks.delta.retentionDurationCheck.enabled", "true")
    spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", "false")

    def vacuum_one(path: str) -> int:
        _silence_console(spark)
        delta_table = DeltaTable.forPath(spark, path)
        delta_table.vacuum(retain_hours)
        history = delta_table.history(1).select("operation", "operationMetrics").first()
        if history is None or history.operation != "VACUUM END":
            return 0
        return int((history.operationMetrics or {}).get("numDeletedFiles", "0") or 0)

    try:
        with ThreadPoolExecutor(max_workers=min(4, max(1, len(table_paths)))) as pool:
            return dict(zip(table_paths, pool.map(vacuum_one, table_paths)))
    finally:
        spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", previous)


def _silence_console(spark: SparkSession) -> None:
    """VACUUM prints "Deleted N files and directories ..." through Scala's Console, on the JVM thread
    that runs it; the run log has the count, so that thread's console output goes nowhere."""
    jvm = spark.sparkContext._jvm
    try:
        console = jvm.java.lang.Class.forName("scala.Console$")
        out = console.getDeclaredField("outVar")
        out.setAccessible(True)
        nowhere = jvm.java.io.PrintStream(jvm.java.io.OutputStream.nullOutputStream())
        getattr(out.get(console.getField("MODULE$").get(None)), "value_$eq")(nowhere)
    except Py4JError:  # another Scala release: the line is printed, nothing else changes
        pass


def removed_files_since_vacuum(spark: SparkSession, table: Table, lake: LakeLike) -> bool:
    """Whether a commit since the table's last VACUUM removed files, which then stay on disk until a vacuum
    (the commit history is driver-side metadata)."""
    commits = DeltaTable.forPath(spark, table.path(lake)).history().select("operation", "operationMetrics").collect()
    for commit in commits:  # newest first
        if commit.operation.startswith("VACUUM"):
            return False
        metrics = commit.operationMetrics or {}
        if any("Removed" in name and "Files" in name and value not in ("0", "") for name, value in metrics.items()):
            return True
    return False


class LocalCommitLog:
    """The commit files (`_delta_log/*.json`) of a table on the local file system, read and rewritten in place:
    erasure redacts the parameters they record (stages/governance.py). A file is rewritten under a temporary
    name and renamed over, keeping its modification time (a commit's time for `TIMESTAMP AS OF`)."""

    def __init__(self, table_path: str) -> None:
        self.folder = Path(table_path, "_delta_log")

    def names(self) -> list[str]:
        return sorted(str(path) for path in self.folder.glob("*.json"))

    def read(self, name: str) -> str:
        return Path(name).read_text(encoding="utf-8")

    def replace(self, name: str, text: str) -> None:
        replace_local_text(Path(name), text)
        # the local file system's checksum of the old bytes would fail every later read of the commit
        Path(name).with_name(f".{Path(name).name}.crc").unlink(missing_ok=True)


class HadoopCommitLog:
    """The same, for a table behind a URI (s3a://, file://), through Hadoop's file systems with the session's
    settings. Each file is rewritten in one PUT, which gives it the time of the rewrite."""

    def __init__(self, table_path: str, spark: SparkSession) -> None:
        self.spark = spark
        self.filesystem, self.folder = self._hadoop(f"{table_path}/_delta_log")

    def names(self) -> list[str]:
        if not self.filesystem.exists(self.folder):
            return []
        statuses = self.filesystem.listStatus(self.folder)
        return sorted(str(status.getPath()) for status in statuses if status.getPath().getName().endswith(".json"))

    def read(self, name: str) -> str:
        filesystem, path = self._hadoop(name)
        stream = filesystem.open(path)
        try:
            return self.spark.sparkContext._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
        finally:
            stream.close()

    def replace(self, name: str, text: str) -> None:
        filesystem, path = self._hadoop(name)
        stream = filesystem.create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def _hadoop(self, uri: str):
        path = self.spark.sparkContext._jvm.org.apache.hadoop.fs.Path(uri)
        return path.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration()), path


def commit_log(table_path: str, spark: SparkSession | None = None) -> LocalCommitLog | HadoopCommitLog:
    """The commit files of the table at `table_path`: a local path, or a URI reached through `spark`."""
    if "://" not in table_path:
        return LocalCommitLog(table_path)
    if spark is None:
        raise ValueError(f"{table_path}: a table behind a URI is reached through a Spark session")
    return HadoopCommitLog(table_path, spark)


def replace_local_text(path: Path, text: str) -> None:
    """`path` holds `text`, whole: written beside it and renamed over it, with its modification time kept."""
    before = path.stat()
    partial = path.with_name(f".{path.name}.erase.tmp")
    partial.write_text(text, encoding="utf-8")
    os.utime(partial, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(partial, path)


def exists(spark: SparkSession, table: Table, lake: LakeLike) -> bool:
    return DeltaTable.isDeltaTable(spark, table.path(lake))


def read(spark: SparkSession, table: Table, lake: LakeLike, version: int | None = None) -> DataFrame:
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


def append(df: DataFrame, table: Table, lake: LakeLike) -> None:
    conform(df, table).write.format("delta").mode("append").save(table.path(lake))


def replace_where(df: DataFrame, table: Table, lake: LakeLike, condition: str) -> None:
    """Atomically replace the rows matching `condition` (a SQL predicate) with `df`: one Delta commit."""
    (conform(df, table).write.format("delta").mode("overwrite").option("replaceWhere", condition).save(table.path(lake)))


def overwrite(df: DataFrame, table: Table, lake: LakeLike) -> None:
    conform(df, table).write.format("delta").mode("overwrite").save(table.path(lake))


def last_commit_metrics(spark: SparkSession, table: Table, lake: LakeLike) -> dict[str, int]:
    """Row counts Delta recorded for the latest commit (one-row metadata)."""
    return _commit_metrics(DeltaTable.forPath(spark, table.path(lake)))


def current_version(spark: SparkSession, table: Table, lake: LakeLike) -> int:
    return _version(DeltaTable.forPath(spark, table.path(lake)))


def _commit_metrics(delta_table: DeltaTable) -> dict[str, int]:
    return _latest_commit(delta_table)[1]


def _version(delta_table: DeltaTable) -> int:
    return _latest_commit(delta_table)[0]


def _latest_commit(delta_table: DeltaTable) -> tuple[int, dict[str, int]]:
    """The table's current version and the row counts its commit recorded (the commit's `operationMetrics`).

    Read from the Delta log through its own classes: the current snapshot's version, then that one commit
    file. DeltaTable.history(1) gives the same through a Spark job that reads commit files in tasks, and a
    night asked for it after most of its writes. A Delta release whose classes differ falls back to it."""
    try:
        delta_log = delta_table._jdt.deltaLog()
        jvm = delta_table._spark.sparkContext._jvm
        nothing = jvm.scala.Option.empty()
        version = delta_log.update(False, nothing, nothing).version()
        commit_file = jvm.org.apache.hadoop.fs.Path(delta_log.logPath(), f"{version:020d}.json")
        found = jvm.org.apache.spark.sql.delta.DeltaHistoryManager.getCommitInfoOpt(
            delta_log.store(), commit_file, delta_log.newDeltaHadoopConf()
        )
        recorded = found.get().operationMetrics() if found.isDefined() else nothing
        metrics = dict(jvm.scala.jdk.javaapi.CollectionConverters.asJava(recorded.get())) if recorded.isDefined() else {}
    except Py4JError:
        latest = delta_table.history(1).select("version", "operationMetrics").first()
        version, metrics = latest.version, latest.operationMetrics or {}
    return int(version), {name: int(value) for name, value in metrics.items() if value.isdigit()}


def version_range(spark: SparkSession, table: Table, lake: LakeLike) -> tuple[int, int]:
    """The oldest and newest versions the table's history still holds (one-row aggregate)."""
    bounds = DeltaTable.forPath(spark, table.path(lake)).history().agg(F.min("version"), F.max("version")).first()
    return int(bounds[0]), int(bounds[1])


def restore(spark: SparkSession, table: Table, lake: LakeLike, version: int) -> None:
    """Bring the table back to `version` in one Delta commit (RESTORE); none when it is already there."""
    DeltaTable.forPath(spark, table.path(lake)).restoreToVersion(version)


def read_changes(spark: SparkSession, table: Table, lake: LakeLike, starting_version: int, ending_version: int) -> DataFrame:
    """Change Data Feed rows of commits starting_version..ending_version (the table must have CDF on)."""
    return (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", starting_version)
        .option("endingVersion", ending_version)
        .load(table.path(lake))
    )


def table_properties(spark: SparkSession, table: Table, lake: LakeLike) -> dict[str, str]:
    """The table's Delta properties, from its snapshot's metadata (SHOW TBLPROPERTIES runs no Spark job,
    unlike DESCRIBE DETAIL, which sizes every file)."""
    rows = spark.sql(f"SHOW TBLPROPERTIES {_sql_path(table.path(lake))}").collect()  # a few rows
    return {row.key: row.value for row in rows}


class Lake:
    """One command's handle on the lake: each table is opened (and created when missing) once per run,
    so a night pays for Delta's createIfNotExists, property and schema checks once per table."""

    def __init__(self, spark: SparkSession, root: LakeLike) -> None:
        self.spark, self.root = spark, LakeLocation.of(root)
        self._opened: dict[str, DeltaTable] = {}

    def table(self, table: Table) -> DeltaTable:
        """The table's DeltaTable, created empty with its registered schema the first time."""
        if table.qualified_name not in self._opened:
            self._opened[table.qualified_name] = ensure_table(self.spark, table, self.root)
        return self._opened[table.qualified_name]

    def exists(self, table: Table) -> bool:
        return table.qualified_name in self._opened or exists(self.spark, table, self.root)

    def read(self, table: Table, version: int | None = None) -> DataFrame:
        """The table's current rows (created empty first when missing)."""
        self.table(table)
        return read(self.spark, table, self.root, version)

    def read_if_exists(self, table: Table) -> DataFrame | None:
        return read(self.spark, table, self.root) if self.exists(table) else None

    def append(self, df: DataFrame, table: Table) -> None:
        self.table(table)
        append(df, table, self.root)

    def replace_where(self, df: DataFrame, table: Table, condition: str) -> None:
        self.table(table)
        replace_where(df, table, self.root, condition)

    def overwrite(self, df: DataFrame, table: Table) -> None:
        self.table(table)
        overwrite(df, table, self.root)

    def latest_run_date_before(self, table: Table, run_date: dt.date) -> dt.date | None:
        """The latest run_date partition of a table partitioned by run_date before run_date (None: none, or no
        table), from the Delta log's file list: no data file is opened, however long the table's history."""
        if "run_date" not in table.partition_by:
            raise ValueError(f"{table.qualified_name} is not partitioned by run_date")
        if not self.exists(table):
            return None
        earlier = self.read(table).filter(F.col("run_date") < F.lit(run_date))
        with partition_values_only(self.spark):
            return earlier.agg(F.max("run_date")).first()[0]  # one row

    def latest_partition_before(self, table: Table, run_date: dt.date) -> tuple[dt.date | None, DataFrame | None]:
        """The latest run_date before run_date and that partition's rows, one partition whatever the table's
        history ((None, None) when there is none): the previous night, for smoothing, the warm start and the report."""
        previous_date = self.latest_run_date_before(table, run_date)
        if previous_date is None:
            return None, None
        return previous_date, self.read(table).filter(F.col("run_date") == F.lit(previous_date))

    def last_commit(self, table: Table) -> tuple[int, dict[str, int]]:
        """The table's current version and the row counts Delta recorded for that commit, in one read."""
        return _latest_commit(self.table(table))

    def last_commit_metrics(self, table: Table) -> dict[str, int]:
        """Row counts Delta recorded for the table's latest commit (one-row metadata)."""
        return self.last_commit(table)[1]

    def current_version(self, table: Table) -> int:
        return self.last_commit(table)[0]

    def path(self, table: Table) -> str:
        return table.path(self.root)

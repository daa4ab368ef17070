"""The one SparkSession builder used by every job, test and notebook."""

from __future__ import annotations

import logging
import math
import os
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from pyspark.errors import PySparkRuntimeError
from pyspark.sql import SparkSession

from influence.catalog import register_tables
from influence.config import Config
from influence.errors import EnvironmentProblem, UsageError
from influence.jars import SCHEME_ARTIFACTS, Artifact, require_supported_java, session_jars

log = logging.getLogger(__name__)
LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
DELTA_LOGS_CACHED = 64
PAGE_SIZE = "4m"
# Joins with a side up to this size broadcast it while a GraphFrames algorithm runs (graph_session_settings).
GRAPH_BROADCAST_BYTES = 64 * 2**20
# Edges per shuffle partition of a Pregel run's supersteps (superstep_settings). Up to a million edges, one
# partition took a superstep in less time than two or four: each superstep's handful of Spark jobs cost more
# than a second core saves (docs/model.md).
SUPERSTEP_EDGES_PER_PARTITION = 2_000_000
# A local lake's Delta log: writes under one lock in the driver, then an atomic rename (the lake's lease
# keeps other drivers out). Object stores keep Delta's own choice.
LOCAL_COMMIT_LOG_STORE = "io.delta.storage.LocalLogStore"
FILE_SYSTEM_CHECKPOINT_MANAGER = "org.apache.spark.sql.execution.streaming.checkpointing.FileSystemBasedCheckpointFileManager"


def require_reachable_master(master: str, timeout_seconds: float = 5.0) -> None:
    """A standalone master (spark://HOST:PORT, or several for high availability) must answer on its port
    before anything is written; Spark itself would retry for a minute and fail half-way. Other masters
    (local, yarn, k8s://) are left to Spark."""
    if not master.startswith("spark://"):
        return
    problems = []
    for address in master.removeprefix("spark://").split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_seconds):
                return
        except ValueError:
            problems.append(f"{address}: not HOST:PORT")
        except OSError as error:
            problems.append(f"{address}: {error.strerror or error}")
    raise UsageError(
        f"the Spark master {master} is not reachable ({'; '.join(problems)}); check --master or SPARK_MASTER, "
        "and that the master is running. Nothing was written."
    )


def require_environment(config: Config) -> None:
    """Java and the JVM jars, checked before a command takes the lake's lease: a missing jar is exit 2 with
    nothing written (not even the lease folder). A running session (tests, notebooks) has them already."""
    if SparkSession.getActiveSession() is None:
        require_supported_java()
        session_jars(config.spark.jars_dir, scheme_artifacts(config))


def storage_settings(config: Config) -> dict[str, str]:
    """The session's Hadoop settings for the lake's store (`[storage]`): none for a local lake. Credentials
    come from S3A's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role)."""
    if config.lake_location.scheme != "s3a":
        return {}
    storage = config.storage
    settings = {"spark.hadoop.fs.s3a.path.style.access": str(storage.s3a_path_style_access).lower()}
    if storage.s3a_endpoint:
        settings["spark.hadoop.fs.s3a.endpoint"] = storage.s3a_endpoint.rstrip("/")
        settings["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(storage.s3a_endpoint.startswith("https")).lower()
    if storage.s3a_region:
        settings["spark.hadoop.fs.s3a.endpoint.region"] = storage.s3a_region
    return settings


def scheme_artifacts(config: Config, also_schemes: tuple[str, ...] = ()) -> tuple[Artifact, ...]:
    """The jars the lake's store needs (hadoop-aws for s3a://), and those of `also_schemes`."""
    schemes = dict.fromkeys((config.lake_location.scheme, *also_schemes))
    return tuple(artifact for scheme in schemes for artifact in SCHEME_ARTIFACTS.get(scheme, ()))


def build_spark(config: Config, app_name: str = "influence-lakehouse", also_schemes: tuple[str, ...] = ()) -> SparkSession:
    """A session with Delta Lake, the cached jars, a checkpoint dir and laptop-friendly defaults.

    `config.spark.master` is `local[*]` unless `--master` or SPARK_MASTER names a cluster.
    Returns the running session when there is one (tests, notebooks), re-pointing its checkpoint dir and
    pointing its Hadoop settings at the lake's store. A new session registers the lake's tables in the
    `influence` database (influence/catalog.py). `also_schemes`: object stores a long-lived session (tests, a
    notebook) must reach besides the lake's, so that it starts with their jars.
    """
    active = SparkSession.getActiveSession()
    if active is None:
        require_supported_java()
        jars = session_jars(config.spark.jars_dir, scheme_artifacts(config, also_schemes))
        if config.spark.master.startswith("local"):
            # Avoid binding the driver to a LAN address the laptop may not keep.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Python workers (the keyed hashes' UDF) run this interpreter, with its packages (pyarrow), unless
        # PYSPARK_PYTHON names another: a cluster whose nodes keep Python elsewhere sets it.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        partitions = str(config.spark.shuffle_partitions)
        builder = (
            SparkSession.builder.appName(app_name)
            .master(config.spark.master)
            .config("spark.jars", ",".join(str(jar) for jar in jars))
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            .config("spark.driver.memory", config.spark.driver_memory)
            .config("spark.sql.shuffle.partitions", partitions)
            # Adaptive execution sizes each shuffle to its data: a small night's joins run in one or two tasks.
            # At one partition there is nothing to size, and it is off (adaptive_execution).
            .config("spark.sql.adaptive.enabled", adaptive_execution(config.spark.shuffle_partitions))
            .config("spark.sql.adaptive.coalescePartitions.enabled", "true")
            .config("spark.default.parallelism", partitions)
            # Delta rebuilds table state with 50 partitions by default: pure overhead on a laptop.
            .config("spark.databricks.delta.snapshotPartitions", partitions)
            # VACUUM lists a table's files in a job of this many tasks (10,000 by default): minutes per small table.
            .config("spark.sql.sources.parallelPartitionDiscovery.parallelism", partitions)
            .config("spark.sql.session.timeZone", "UTC")
            # The in-memory catalog's folders (influence/catalog.py registers external tables only): scratch
            # beside the checkpoints, not ./spark-warehouse in whatever folder the command was started from.
            .config("spark.sql.warehouse.dir", str(config.checkpoint_path / "catalog"))
            # Frames to and from pandas (the local PageRank engine) go through Arrow, not row by row.
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            # Interpreted expressions unless codegen is on: small queries then skip Janino and the JIT (config.py).
            .config("spark.sql.codegen.wholeStage", str(config.spark.codegen).lower())
            .config("spark.sql.codegen.factoryMode", "FALLBACK" if config.spark.codegen else "NO_CODEGEN")
            .config("spark.ui.enabled", str(config.spark.ui_enabled).lower())
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.debug.maxToStringFields", "200")
            # Spark renders each query's plan for its listeners even with the UI off, and again at every adaptive
            # re-plan; `formatted` (the default) cost about a tenth of the driver's query thread on a small night.
            # `simple` is the physical plan, still in the logs and event logs for an operator to read.
            .config("spark.sql.ui.explainMode", "simple")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}")
            # Checkpoint files of PageRank iterations are removed once nothing references them.
            .config("spark.cleaner.referenceTracking.cleanCheckpoints", "true")
            # VACUUM is recorded in each table's history, so an erasure can tell which tables hold unused files.
            .config("spark.databricks.delta.vacuum.logging.enabled", "true")
            # A long-lived driver (a notebook, the test suite) opens hundreds of tables: Delta keeps each one's
            # log and cached state (10,000 by default) and the status store every query's plan and tasks, until
            # the heap runs out. A night opens about 20 tables and reads no history from the status store.
            .config("spark.databricks.delta.delta.log.cacheSize", str(DELTA_LOGS_CACHED))
            .config("spark.sql.ui.retainedExecutions", "100")
            .config("spark.ui.retainedStages", "500")
            .config("spark.ui.retainedTasks", "10000")
            # Every sort, aggregation map and broadcast hash relation takes at least one memory page, and the page
            # is sized from the heap (64 MB with a few GB): a small night allocated gigabytes of zeroed pages, and
            # a broadcast relation keeps its page in the driver while its plan lives. Bigger data takes more pages.
            .config("spark.buffer.pageSize", PAGE_SIZE)
            # Each Delta commit renamed its log and checksum files through Hadoop's FileContext, which on a local
            # lake starts a `readlink` process for both ends of every rename (8 a commit, about 240 a small night,
            # 4-5 ms each). A local lake's log, and every lake's checksum files, now go through FileSystem.rename.
            .config("spark.delta.logStore.file.impl", LOCAL_COMMIT_LOG_STORE)
            .config("spark.sql.streaming.checkpointFileManagerClass", FILE_SYSTEM_CHECKPOINT_MANAGER)
        )
        for key, value in storage_settings(config).items():
            builder = builder.config(key, value)
        try:
            active = builder.getOrCreate()
        except PySparkRuntimeError as error:
            raise EnvironmentProblem(
                f"Spark could not start its JVM ({error.getErrorClass() or error}); "
                "check that JAVA_HOME points at a JDK 17 or 21 and that the machine has free memory "
                f"for spark.driver_memory={config.spark.driver_memory}."
            ) from None
        active.sparkContext.setLogLevel(config.spark.log_level)
        lake = config.lake_location
        if not lake.is_local or lake.local_root.is_dir():
            # A new session (a job, a notebook, the pyspark shell) knows the tables by name: influence.profiles.
            register_tables(active, lake)
    else:
        hadoop = active.sparkContext._jsc.hadoopConfiguration()
        for key, value in storage_settings(config).items():
            hadoop.set(key.removeprefix("spark.hadoop."), value)
    checkpoints = config.checkpoint_path
    checkpoints.mkdir(parents=True, exist_ok=True)
    active.sparkContext.setCheckpointDir(str(checkpoints))
    return active


def forget_tables(spark: SparkSession) -> None:
    """Drop the session's cached frames and Delta table states; the next read of a table reloads its log.
    For long-lived drivers that move from lake to lake (the test suite)."""
    spark.catalog.clearCache()
    spark._jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()


@contextmanager
def session_settings(spark: SparkSession, settings: Mapping[str, str]) -> Iterator[None]:
    """Spark SQL settings for the block, restored afterwards (after an exception too)."""
    previous = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


# Whole-stage and expression code generation: it pays for itself on a query over many rows, not on a night's
# many small ones (spark.codegen, influence.config).
COMPILED_EXPRESSIONS = {"spark.sql.codegen.wholeStage": "true", "spark.sql.codegen.factoryMode": "FALLBACK"}


def graph_session_settings(spark: SparkSession) -> AbstractContextManager[None]:
    """Settings for a GraphFrames algorithm on a graph too large for the local engines, restored afterwards:
    - compiled expressions: each superstep runs the same few queries over every edge, where Spark's
      code generation pays for itself (a night's many small queries run interpreted, influence.config);
    - broadcast joins up to GRAPH_BROADCAST_BYTES: a vertex state that small is sent to every task
      instead of shuffling the edges to it each superstep."""
    return session_settings(
        spark,
        {**COMPILED_EXPRESSIONS, "spark.sql.autoBroadcastJoinThreshold": str(GRAPH_BROADCAST_BYTES)},
    )


def superstep_partitions(edge_count: int, session_partitions: int) -> int:
    """The shuffle partitions of a Pregel run over `edge_count` edges: one per SUPERSTEP_EDGES_PER_PARTITION
    edges, at least one and at most the session's."""
    return max(1, min(session_partitions, math.ceil(edge_count / SUPERSTEP_EDGES_PER_PARTITION)))


@contextmanager
def superstep_settings(spark: SparkSession, edge_count: int) -> Iterator[int]:
    """Shuffle partitions sized to a Pregel run's graph (superstep_partitions), adaptive execution off at one
    (adaptive_execution), restored afterwards; yields the partitions. Each superstep is a few queries over the
    whole graph: on a small graph their fixed cost, not the data, is what a superstep spends."""
    partitions = superstep_partitions(edge_count, int(spark.conf.get("spark.sql.shuffle.partitions")))
    settings = {"spark.sql.shuffle.partitions": str(partitions), "spark.sql.adaptive.enabled": adaptive_execution(partitions)}
    with session_settings(spark, settings):
        yield partitions


def adaptive_execution(shuffle_partitions: int) -> str:
    """spark.sql.adaptive.enabled for a session or a night of this many shuffle partitions: on above one.
    Adaptive execution merges small partitions and splits skewed ones; with one partition there is neither to
    do, yet it still runs each shuffle of a query as a Spark job of its own and plans the rest again. On one
    partition, 1,000-line nights ran about 175 Spark jobs instead of 310 without it, and faster
    (docs/pipeline.md#adaptive-execution-off-at-one-shuffle-partition-6-december-2026)."""
    return str(shuffle_partitions > 1).lower()


def shuffle_partitions_for(floor: int, input_bytes: int, bytes_per_partition: int) -> int:
    """`floor` shuffle partitions, or one per `bytes_per_partition` of input when that is more (0: `floor`)."""
    if bytes_per_partition == 0:
        return floor
    return max(floor, math.ceil(input_bytes / bytes_per_partition))


@contextmanager
def shuffles_sized(spark: SparkSession, config: Config, input_bytes: int) -> Iterator[int]:
    """The session's shuffle partitions raised for a night of `input_bytes` (spark.shuffle_partition_bytes),
    never lowered, and restored afterwards; yields the night's. The session's own setting is the floor:
    spark.shuffle_partitions when a command started it. At 4 partitions a 10M-interaction night's partitions
    held gigabytes of rows, sorted and checkpointed past memory, one core each. Raised partitions bring adaptive
    execution with them (adaptive_execution: off only at one)."""
    before = int(spark.conf.get("spark.sql.shuffle.partitions"))
    partitions = shuffle_partitions_for(before, input_bytes, config.spark.shuffle_partition_bytes)
    settings = {"spark.sql.shuffle.partitions": str(partitions)}
    if partitions != before:
        settings["spark.sql.adaptive.enabled"] = adaptive_execution(partitions)
    with session_settings(spark, settings):
        yield partitions


def partition_values_only(spark: SparkSession) -> AbstractContextManager[None]:
    """For a query of partition columns only (a latest date): answered from the table's file list (the Delta
    log) instead of opening every data file. Spark leaves it off because a partition whose files hold no rows
    still counts; for a latest date, that gives a date with no rows, which a reader treats like no date."""
    return session_settings(spark, {"spark.sql.optimizer.metadataOnly": "true"})

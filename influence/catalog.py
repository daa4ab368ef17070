"""The lake's tables by name: `influence.profiles`, `influence.interactions`, ... in Spark SQL.

Every table except governance is registered in the `influence` database as an external Delta table at
its path, so `SELECT ... FROM influence.profiles VERSION AS OF 3` works in a notebook, the `pyspark`
shell or `influence sql`. The registration is redone when a session starts (docs/analysts.md#catalog):
a metastore kept in the lake (embedded Derby) admits one process at a time, so an analyst's notebook
would lock the nightly job out, while registering external tables only reads their Delta logs.
"""

from __future__ import annotations

import re
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession

from influence.errors import UsageError
from influence.location import LakeLike
from influence.tables import ALL_TABLES, Table

DATABASE = "influence"
# Governance tables hold who asked for what (opt-outs, erasures, minors): not for analysts.
CATALOG_TABLES = tuple(table for table in ALL_TABLES if table.layer != "governance")
# Statements an analyst's query may start with; anything else (INSERT, DELETE, MERGE, DROP, SET, ...) is
# refused before Spark sees it, since spark.sql runs commands at once.
READ_ONLY_STATEMENTS = ("select", "with", "show", "describe", "desc", "explain", "values", "table", "from")


def catalog_name(table: Table) -> str:
    """`influence.<name>`; staged candidates are `influence.staged_<name>` beside the published ones."""
    name = f"staged_{table.name}" if table.layer == "staging" else table.name
    return f"{DATABASE}.{name}"


def register_tables(spark: SparkSession, lake: LakeLike) -> list[str]:
    """Register (or re-point) every analyst table the lake holds; returns their names. Metadata only:
    the tables are external, so dropping a registration never touches the data."""
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {DATABASE} COMMENT 'influence-lakehouse tables (docs/analysts.md)'")
    registered = []
    for table in CATALOG_TABLES:
        name, path = catalog_name(table), table.path(lake)
        if spark.catalog.tableExists(name):
            if _location(spark, name) == _as_uri(path):
                registered.append(name)
                continue
            spark.sql(f"DROP TABLE {name}")
        if DeltaTable.isDeltaTable(spark, path):
            spark.catalog.createTable(name, path=path, source="delta", description=table.description)
            registered.append(name)
    return registered


def _as_uri(path: str) -> str:
    """A table's location as the catalog shows it: a URI (a local path as file:/...)."""
    return (path if "://" in path else Path(path).resolve().as_uri()).rstrip("/")


def _location(spark: SparkSession, name: str) -> str:
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {name}").filter("col_name = 'Location'").collect()
    return rows[0].data_type.rstrip("/") if rows else ""


def read_only_query(spark: SparkSession, query: str) -> DataFrame:
    """The frame of an analyst's statement, refused (UsageError) unless it only reads."""
    statement = re.sub(r"^(\s|--[^\n]*\n|/\*.*?\*/)*", "", query, flags=re.S)
    first_word = re.match(r"[A-Za-z]+", statement)
    if first_word is None or first_word.group(0).lower() not in READ_ONLY_STATEMENTS:
        raise UsageError(
            "influence sql runs read-only statements (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN); "
            f"got {statement[:40]!r}. Change the lake through the influence commands."
        )
    # `WITH ... INSERT` and `FROM ... INSERT` start like queries: the parsed plan tells.
    plan = spark._jsparkSession.sessionState().sqlParser().parsePlan(query)
    if "InsertInto" in plan.toString():
        raise UsageError("influence sql runs read-only statements; this one writes to a table.")
    return spark.sql(query)

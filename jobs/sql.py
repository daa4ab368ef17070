"""influence sql: one read-only Spark SQL statement on the lake's tables by name, printed as a table, CSV or JSON."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from dataclasses import dataclass
from typing import Any

from pyspark.errors import PySparkException

from influence.catalog import read_only_query, register_tables
from influence.config import Config
from influence.errors import UsageError
from influence.session import build_spark

FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool  # more rows than the limit


def run_query(config: Config, query: str, limit: int) -> QueryResult:
    """At most `limit` rows of the statement's result (the rest is not fetched)."""
    spark = build_spark(config, app_name="influence-sql")
    register_tables(spark, config.lake_location)  # a running session may have served another lake
    try:
        frame = read_only_query(spark, query)
        rows = [tuple(row) for row in frame.limit(limit + 1).collect()]
    except PySparkException as error:  # a parse error, an unknown table or column: the query's fault
        raise UsageError(f"influence sql: {str(error).strip().splitlines()[0]}") from None
    return QueryResult(frame.columns, rows[:limit], len(rows) > limit)


def _text(value: Any) -> str:
    """A CSV or table cell: nested values as JSON."""
    plain = _plain(value)
    if plain is None:
        return ""
    return json.dumps(plain) if isinstance(plain, (list, dict)) else str(plain)


def _plain(value: Any) -> Any:
    """Rows, lists and maps as JSON-ready values."""
    if hasattr(value, "asDict"):
        return {key: _plain(item) for key, item in value.asDict().items()}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def aligned(header: list[str] | tuple[str, ...], rows: list[tuple]) -> str:
    """Columns padded to their widest value, two spaces apart."""
    lines = [tuple(header), *rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(str(value).ljust(width) for value, width in zip(line, widths)).rstrip() for line in lines)


def formatted(result: QueryResult, output: str) -> str:
    if output == "json":
        return json.dumps([dict(zip(result.columns, _plain(list(row)))) for row in result.rows], indent=2)
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_text(value) for value in row] for row in result.rows)
        return buffer.getvalue().rstrip("\n")
    table = aligned(result.columns, [tuple(_text(value) for value in row) for row in result.rows])
    return f"{table}\n({len(result.rows)} row{'s' if len(result.rows) != 1 else ''}{', limited' if result.truncated else ''})"

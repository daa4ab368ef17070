"""influence export: the enrichment feed of gold/profiles for one published date, as files a search team loads.

Without --since-version: a snapshot of every current profile. With --since-version N: the net change of
each profile after version N (insert, update or delete), read from the table's Change Data Feed; when an
erasure has purged that history since N, a resync instead: every current profile (upsert) and a delete
naming the profile_key of each person erased since (docs/feed.md, docs/privacy.md).
Only the contract's columns (contracts/profiles.json) are exported. Layout of the folder DIR:

  DIR/data/part-00000.jsonl.gz | part-00000.parquet ...   one profile per line / row
  DIR/manifest.json                                       run id, versions, row counts, sha256 per file
  DIR/_SUCCESS                                            empty, written last: the export is complete

Files are written to DIR/_tmp-export-<id>/ and moved into place; a DIR that already holds _SUCCESS is
refused (exit 2). Nothing is written to the lake. Format and manifest: docs/feed.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, functions as F

from influence import storage
from influence.config import Config
from influence.contract import Contract, load_contract, require
from influence.errors import InfluenceError, UsageError, ValidationFailed
from influence.location import LakeLike, LakeLocation
from influence.session import build_spark
from influence.tables import ERASURES, PROFILES, RUNS
from transforms.feed import CHANGE_TYPES, RESYNC_CHANGE_TYPES, to_feed_changes, to_feed_resync, to_feed_snapshot

log = logging.getLogger(__name__)

# format -> (Spark data source, file suffix in DIR/data)
FORMATS = {"jsonl": ("json", ".jsonl.gz"), "parquet": ("parquet", ".parquet")}
DATA_DIR, MANIFEST, SUCCESS, TEMP_PREFIX = "data", "manifest.json", "_SUCCESS", "_tmp-export-"
SCHEMA_VERSION_PROPERTY = "influence.schema_version"


@dataclass(frozen=True)
class ExportRequest:
    run_date: dt.date
    out: Path
    format: str
    since_version: int | None = None


def _is_leftover(path: Path) -> bool:
    """What an export that stopped before its _SUCCESS leaves behind in DIR."""
    return path.name in (DATA_DIR, MANIFEST) or path.name.startswith(TEMP_PREFIX)


def check_request(request: ExportRequest, lake: LakeLocation) -> None:
    """Refusals (exit 2) that need no Spark: bad values, a finished or foreign destination, no lake."""
    if request.format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {request.format!r}")
    if request.since_version is not None and request.since_version < 0:
        raise UsageError(f"--since-version must be a table version (0 or more), got {request.since_version}")
    out = request.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    if (out / SUCCESS).exists():
        raise UsageError(f"{out} already holds a finished export ({SUCCESS} is there); export into a new folder")
    foreign = sorted(path.name for path in out.iterdir() if not _is_leftover(path)) if out.is_dir() else []
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise UsageError(f"{out} holds {', '.join(foreign[:5])}{more}: an export goes into a new or empty folder")
    if lake.is_local and not lake.local_root.is_dir():
        raise UsageError(f"lake {lake} does not exist or is not a folder")


def export(config: Config, request: ExportRequest) -> str:
    """Check the request, start Spark, export; returns the one-line summary the CLI prints."""
    check_request(request, config.lake_location)
    contract = load_contract()
    spark = build_spark(config, app_name=f"influence-export-{request.run_date}")
    manifest = run_export(spark, config.lake_location, request, contract)
    counts = manifest["rows_by_change_type"]
    what = (
        f"{manifest['rows']} profile(s)"
        if counts is None
        else f"{manifest['rows']} change(s) ({', '.join(f'{n} {t}' for t, n in counts.items())})"
    )
    starting, ending = manifest["version_range"]["starting_version"], manifest["version_range"]["ending_version"]
    if starting is None:
        versions = f"version {ending}"
    elif starting <= ending:
        versions = f"versions {starting}-{ending}"
    else:
        versions = f"no version after {ending}"
    return (
        f"exported {what} of {PROFILES.qualified_name} as of {request.run_date} "
        f"({versions}, run {manifest['run_id']}) as {request.format} to {request.out}"
    )


def run_export(spark: SparkSession, lake: LakeLike, request: ExportRequest, contract: Contract) -> dict:
    """Read gold/profiles at its current version, check it, write the files and the manifest; returns the manifest."""
    if not storage.exists(spark, PROFILES, lake):
        raise UsageError(f"no {PROFILES.qualified_name} table in lake {lake}: nothing has been published")
    version = storage.current_version(spark, PROFILES, lake)  # pinned: a publish during the export changes nothing
    published = storage.read(spark, PROFILES, lake, version=version)
    check_published(spark, lake, published, version, request, contract)
    run_id = publishing_run(spark, lake, request.run_date)

    columns = contract.column_names
    erased = erased_since(spark, lake, request.since_version)
    if request.since_version is None:
        kind, change_types = "snapshot", None
        feed = published.transform(to_feed_snapshot, columns)
    elif erased is not None:
        kind, change_types = "resync", RESYNC_CHANGE_TYPES
        log.warning(
            "export: an erasure purged the change history after version %d; exporting a resync "
            "(every current profile, and a delete per erased profile_key)",
            request.since_version,
        )
        feed = published.transform(to_feed_resync, erased, columns)
    else:
        kind, change_types = "changes", CHANGE_TYPES
        feed = read_changes(spark, lake, published, request.since_version + 1, version).transform(
            # a delete names the person, their primary account and profile_key, so a consumer keyed any way can apply it
            to_feed_changes,
            columns,
            PROFILES.key,
            (*contract.key, "profile_key"),
        )
    feed = feed.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        if change_types is None:
            by_type, rows = None, feed.count()
        else:
            found = {row.change_type: row["count"] for row in feed.groupBy("change_type").count().collect()}  # <= 3 rows
            by_type = {change_type: found.get(change_type, 0) for change_type in change_types}
            rows = sum(by_type.values())
        manifest = {
            "table": contract.table,
            "as_of_date": request.run_date.isoformat(),
            "run_id": run_id,
            "kind": kind,
            "format": request.format,
            "schema_version": contract.schema_version,
            "columns": feed.columns,
            "version_range": {
                "starting_version": None if request.since_version is None else request.since_version + 1,
                "ending_version": version,
            },
            "rows": rows,
            "rows_by_change_type": by_type,
            "files": [],  # filled in by write_export
            "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        manifest = write_export(feed.orderBy(*PROFILES.key), request, manifest)
    finally:
        feed.unpersist()
    log.info("export: %s rows as %s to %s (%d file(s))", rows, request.format, request.out, len(manifest["files"]))
    return manifest


def check_published(
    spark: SparkSession, lake: LakeLike, published: DataFrame, version: int, request: ExportRequest, contract: Contract
) -> None:
    """The table honours the contract (else exit 1), holds date D and knows version N (else exit 2)."""
    what = f"{PROFILES.qualified_name} version {version}"
    require(contract, published.schema, what)
    properties = storage.table_properties(spark, PROFILES, lake)
    declared = properties.get(SCHEMA_VERSION_PROPERTY)
    if declared is None:
        log.warning(
            "export: %s has no %s property (created before it was set); its schema honours the contract",
            what,
            SCHEMA_VERSION_PROPERTY,
        )
    elif declared != str(contract.schema_version):
        message = (
            f"{what} declares {SCHEMA_VERSION_PROPERTY}={declared}, "
            f"this release exports contract version {contract.schema_version}"
        )
        raise ValidationFailed(message, [message])
    as_of = published.agg(F.max("as_of_date")).first()[0]
    if as_of is None:
        raise UsageError(f"{what} holds no profiles: nothing of {request.run_date} can be exported")
    if as_of != request.run_date:
        raise UsageError(
            f"{PROFILES.qualified_name} is published as of {as_of}, not {request.run_date}: "
            f"only the published date can be exported (--date {as_of})"
        )
    if request.since_version is not None and request.since_version > version:
        raise UsageError(
            f"--since-version {request.since_version} is past the current version {version} of {PROFILES.qualified_name}"
        )


def publishing_run(spark: SparkSession, lake: LakeLike, run_date: dt.date) -> str:
    """The run id of the latest run that published `run_date` (status published, or published_forced by hand)."""
    if not storage.exists(spark, RUNS, lake):
        raise InfluenceError(f"lake {lake} has no run log: cannot tell which run published {run_date}")
    latest = (
        storage.read(spark, RUNS, lake)
        .filter((F.col("run_date") == F.lit(run_date)) & F.col("status").startswith("published"))
        .orderBy(F.col("ended_at").desc_nulls_last(), F.col("started_at").desc())
        .select("run_id")
        .limit(1)
        .collect()  # one row
    )
    if not latest:
        raise InfluenceError(f"the run log of lake {lake} has no run that published {run_date}")
    return latest[0].run_id


def erased_since(spark: SparkSession, lake: LakeLike, since_version: int | None) -> DataFrame | None:
    """The profile_keys of persons erased after version `since_version`, or None when there are none.

    An erasure vacuums the history of gold/profiles (docs/privacy.md), so the changes since an earlier
    version can no longer be read: such an export becomes a resync.
    """
    if since_version is None or not storage.exists(spark, ERASURES, lake):
        return None
    erased = storage.read(spark, ERASURES, lake).filter(
        F.col("profiles_version").isNull() | (F.col("profiles_version") > F.lit(since_version))
    )
    return erased if erased.take(1) else None  # at most one row


def read_changes(
    spark: SparkSession, lake: LakeLike, published: DataFrame, starting_version: int, ending_version: int
) -> DataFrame:
    """Change Data Feed rows of commits starting_version..ending_version (none when starting > ending)."""
    if starting_version > ending_version:
        return published.limit(0).select(
            "*", F.lit(None).cast("string").alias("_change_type"), F.lit(None).cast("long").alias("_commit_version")
        )
    return storage.read_changes(spark, PROFILES, lake, starting_version, ending_version)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_export(feed: DataFrame, request: ExportRequest, manifest: dict) -> dict:
    """Write into a temporary folder inside DIR, move data/ and manifest.json into place, then _SUCCESS.

    Returns the manifest as written: `manifest` with the data files, their sizes and sha256.
    """
    out = request.out
    out.mkdir(parents=True, exist_ok=True)
    for leftover in sorted(path for path in out.iterdir() if _is_leftover(path)):
        log.warning("export: removing %s, left by an export that did not finish", leftover)
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    temporary = out / f"{TEMP_PREFIX}{uuid.uuid4().hex[:12]}"
    try:
        spark_format, suffix = FORMATS[request.format]
        writer = feed.write.format(spark_format).mode("errorifexists")
        if request.format == "jsonl":
            # Null fields are left out (whatever the session's default): a delete line carries its key only.
            writer = writer.option("compression", "gzip").option("ignoreNullFields", "true")
        writer.save(str(temporary / "spark"))
        data = temporary / DATA_DIR
        data.mkdir()
        files = []
        for index, part in enumerate(sorted((temporary / "spark").glob("part-*"))):
            target = data / f"part-{index:05d}{suffix}"
            part.rename(target)
            files.append({"path": f"{DATA_DIR}/{target.name}", "bytes": target.stat().st_size, "sha256": sha256(target)})
        manifest = {**manifest, "files": files}
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        data.rename(out / DATA_DIR)
        (temporary / MANIFEST).rename(out / MANIFEST)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    (out / SUCCESS).touch()
    return manifest

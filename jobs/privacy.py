"""influence optout | optin | erase (docs/privacy.md; `influence access` is jobs/access.py).

optout / optin   record the request; from the next run on the person is left out of scoring (or back in).
erase            record the request, then purge the person from every table and layer at once:
                 rows they own are deleted, other rows naming them are redacted, every table is
                 vacuumed (RETAIN 0 HOURS, so no older file keeps a copy), the Data Docs and Great
                 Expectations stores are redacted and the Spark checkpoints removed. Reports counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

from expectations.runner import data_docs_dir, gx_dir
from influence import governance, storage
from influence.config import Config
from influence.governance import Identity, Request, privacy_key
from influence.runlog import RunLog, RunRecord, new_run_id
from influence.session import build_spark
from influence.tables import (
    ACCOUNTS,
    ALL_TABLES,
    ERASURES,
    IDENTITY_LINKS,
    INFLUENCE_SCORES,
    INTERACTIONS,
    POSTS,
    PROFILES,
    QUARANTINE,
    RAW_LINES,
    STAGED_SCORES,
    Table,
)
from transforms.privacy import PROFILE_PREFIX, python_pattern, subject_hash, token_pattern, with_redacted_columns

log = logging.getLogger(__name__)
_ERASE = "_erase"


def _account_rows(accounts: tuple[tuple[str, str], ...], network: str, column: str) -> Column:
    """`column` (with the row's network) is one of the identity's accounts."""
    ids = [account_id for account_network, account_id in accounts if account_network == network]
    return F.col(column).isin(ids) if ids else F.lit(False)


def _owns(accounts: tuple[tuple[str, str], ...], *columns: str) -> Column:
    """The row's (network, column) is one of `accounts`, for any of `columns`."""
    networks = sorted({network for network, _ in accounts})
    owned = F.lit(False)
    for network in networks:
        on_network = F.col("network") == network
        for column in columns:
            owned = owned | (on_network & _account_rows(accounts, network, column))
    return owned


def owned_rows(table: Table, identity: Identity, pattern: str) -> Column:
    """The rows of `table` that are the person's own records: deleted, not redacted."""
    if table in (RAW_LINES, QUARANTINE):
        return F.coalesce(F.col("line").rlike(pattern), F.lit(False))  # a raw line naming them goes whole
    if table is INTERACTIONS:
        return _owns(identity.accounts, "actor", "target")
    if table is POSTS:
        return _owns(identity.accounts, "author")
    if table is ACCOUNTS:
        return _owns(identity.accounts, "account_id")
    if table is IDENTITY_LINKS:
        return _owns(identity.accounts, "account_id") | (F.col("person_id") == identity.person_id)
    if table in (STAGED_SCORES, INFLUENCE_SCORES, PROFILES):
        return F.col("person_id") == identity.person_id
    return F.lit(False)


def purge_table(spark: SparkSession, table: Table, lake: Path, identity: Identity, pattern: str) -> dict[str, int]:
    """Delete the person's rows and redact the others naming them, in one MERGE on the key."""
    frame = storage.read(spark, table, lake)
    owned = owned_rows(table, identity, pattern)
    names = F.to_json(F.struct(*[F.col(name) for name in frame.columns])).rlike(pattern)
    affected = frame.filter(owned | names).withColumn(_ERASE, owned)
    if not affected.take(1):  # at most one row
        return {"deleted": 0, "redacted": 0}
    replacement = with_redacted_columns(affected, pattern, keep=(*table.key, _ERASE))
    (
        storage.ensure_table(spark, table, lake).alias("t")
        .merge(replacement.alias("s"), " AND ".join(f"t.`{k}` = s.`{k}`" for k in table.key))
        .whenMatchedDelete(condition=f"s.{_ERASE}")
        .whenMatchedUpdate(set={f"`{name}`": f"s.`{name}`" for name in table.columns if name not in table.key})
        .execute()
    )
    metrics = storage.last_commit_metrics(spark, table, lake)
    return {"deleted": metrics.get("numTargetRowsDeleted", 0), "redacted": metrics.get("numTargetRowsUpdated", 0)}


def redact_files(folder: Path, pattern: str) -> int:
    """Text files under `folder` (Data Docs pages, validation results) with the identifiers redacted."""
    compiled, changed = python_pattern(pattern), 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images and fonts of the site carry no data
        redacted = compiled.sub("[erased]", text)
        if redacted != text:
            path.write_text(redacted, encoding="utf-8")
            changed += 1
    return changed


def purge(spark: SparkSession, config: Config, identity: Identity, counts: dict) -> None:
    """Every table, file and checkpoint of the lake without the person (see the module docstring)."""
    lake = config.lake_path
    pattern = token_pattern(identity.identifiers())
    for table in ALL_TABLES:
        if table.layer == "governance" or not storage.exists(spark, table, lake):
            continue
        removed = purge_table(spark, table, lake, identity, pattern)
        counts[f"{table.layer}_{table.name}_deleted"] = removed["deleted"]
        counts[f"{table.layer}_{table.name}_redacted"] = removed["redacted"]
    for table in ALL_TABLES:
        if storage.exists(spark, table, lake):
            governance.vacuum_everything(spark, table.path(lake))
    counts["files_redacted"] = redact_files(data_docs_dir(lake), pattern) + redact_files(gx_dir(lake), pattern)
    checkpoints = config.checkpoint_path
    if checkpoints.is_dir():
        shutil.rmtree(checkpoints)
        checkpoints.mkdir(parents=True)


def apply_request(spark: SparkSession, config: Config, request: Request, counts: dict) -> str:
    """Record one request and carry it out; returns its outcome (a few words, no identifier).

    A request already in the audit table (the same landed line, a rerun night) is not applied again."""
    if governance.is_recorded(spark, config, request.request_id):
        counts["already_recorded"] = counts.get("already_recorded", 0) + 1
        return "already recorded"
    identity = governance.resolve(spark, config, request.subject)
    states = governance.states_of(spark, config, identity)
    if request.action == "opt_in" and ("erased" in states or "minor" in states):
        outcome = "recorded; still suppressed (" + ", ".join(s for s in states if s != "opted_out") + ")"
    else:
        outcome = "applied"
    governance.record(spark, config, request, identity, outcome)
    counts[request.action] = counts.get(request.action, 0) + 1
    if request.action == "erase":
        purge(spark, config, identity, counts)
        record_erasure(spark, config, request, identity)
    return outcome


def record_erasure(spark: SparkSession, config: Config, request: Request, identity: Identity) -> None:
    lake = config.lake_path
    version = storage.current_version(spark, PROFILES, lake) if storage.exists(spark, PROFILES, lake) else None
    row = {
        "request_id": request.request_id,
        "profile_key": subject_hash(privacy_key(config), PROFILE_PREFIX + identity.person_id),
        "erased_at": dt.datetime.now(dt.timezone.utc),
        "profiles_version": version,
    }
    storage.ensure_table(spark, ERASURES, lake).alias("e").merge(
        spark.createDataFrame([row], ERASURES.schema).alias("n"), "e.request_id = n.request_id"
    ).whenNotMatchedInsertAll().execute()


def run_request(config: Config, request: Request) -> str:
    """The CLI's optout / optin / erase: one logged run; the message holds counts, never the identifier."""
    spark = build_spark(config, app_name=f"influence-{request.action}")
    runlog = RunLog(spark, config.lake_path)
    record = RunRecord(new_run_id(None), request.action.replace("_", ""), None, None, config.spark.master)
    runlog.start(record)
    try:
        with record.stage(request.action) as counts:
            outcome = apply_request(spark, config, request, counts)
    except BaseException as error:
        runlog.finish(record, "failed", 3, f"{type(error).__name__}")
        raise
    removed = {name: value for name, value in counts.items() if name.endswith(("_deleted", "_redacted")) and value}
    summary = f"{request.action} {outcome}" + (f"; removed {removed}" if removed else "")
    runlog.finish(record, "done", 0, summary)
    return f"run {record.run_id}: {summary}"

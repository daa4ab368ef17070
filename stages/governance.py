"""Governance: privacy requests carried out (docs/privacy.md), from the CLI or landed with a night.

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
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import Column, SparkSession, functions as F

from expectations.runner import data_docs_dir, gx_dir
from influence import governance, storage
from influence.config import Config
from influence.errors import UsageError
from influence.governance import Identity, Request, privacy_key
from influence.notebooks import notebooks_dir
from influence.storage import Lake
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
from stages.report import reports_dir, write_report
from stages.result import Counts, StageResult
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
    if affected.isEmpty():
        return {"deleted": 0, "redacted": 0}
    replacement = with_redacted_columns(affected, pattern, keep=(*table.key, _ERASE))
    (
        storage.ensure_table(spark, table, lake)
        .alias("t")
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


def rebuild_reports(spark: SparkSession, lake: Path, pattern: str) -> int:
    """Nightly reports that name the person, built again from the purged lake. A regex over the page would also
    hit the numbers of its charts (an account id "16" and a bar 16 px high); a page that cannot be rebuilt
    (its date's run is gone from the run log) is redacted like the Data Docs."""
    compiled, rebuilt = python_pattern(pattern), 0
    for page in sorted(reports_dir(lake).glob("*.html")) if reports_dir(lake).is_dir() else []:
        if not compiled.search(page.read_text(encoding="utf-8")):
            continue
        try:
            write_report(Lake(spark, lake), dt.date.fromisoformat(page.stem))
        except (UsageError, ValueError):
            page.write_text(compiled.sub("[erased]", page.read_text(encoding="utf-8")), encoding="utf-8")
        rebuilt += 1
    return rebuilt


def purge(spark: SparkSession, config: Config, identity: Identity) -> dict[str, int]:
    """Every table, file and checkpoint of the lake without the person (see the module docstring).

    Tables are vacuumed in one pass at the end, and only those that can hold a copy of the person in a
    file the current version no longer uses: the ones this purge rewrote, and the ones whose history
    removed files since their last vacuum (an overwrite or MERGE of an earlier night)."""
    lake = config.lake_path
    pattern = token_pattern(identity.identifiers())
    counts: dict[str, int] = {}
    present = [table for table in ALL_TABLES if storage.exists(spark, table, lake)]
    purged = [table for table in present if table.layer != "governance"]
    # Tables are independent: their scans and MERGEs run side by side (small jobs, mostly latency).
    with ThreadPoolExecutor(max_workers=4) as pool:
        removals = pool.map(lambda table: purge_table(spark, table, lake, identity, pattern), purged)
        removed_by_table = {table.qualified_name: removed for table, removed in zip(purged, removals)}
    to_vacuum = []
    for table in present:
        removed = removed_by_table.get(table.qualified_name)
        if removed is not None:
            counts[f"{table.layer}_{table.name}_deleted"] = removed["deleted"]
            counts[f"{table.layer}_{table.name}_redacted"] = removed["redacted"]
        if (removed and (removed["deleted"] or removed["redacted"])) or storage.removed_files_since_vacuum(spark, table, lake):
            to_vacuum.append(table)
    storage.vacuum_now(spark, *(table.path(lake) for table in to_vacuum))
    counts["tables_vacuumed"] = len(to_vacuum)
    counts["files_redacted"] = sum(
        redact_files(folder, pattern) for folder in (data_docs_dir(lake), gx_dir(lake), notebooks_dir(lake))
    )
    counts["reports_rebuilt"] = rebuild_reports(spark, lake, pattern)
    checkpoints = config.checkpoint_path
    if checkpoints.is_dir():
        shutil.rmtree(checkpoints)
        checkpoints.mkdir(parents=True)
    return counts


@dataclass(frozen=True, kw_only=True)
class RequestResult(StageResult):
    outcome: str  # a few words, no identifier


def apply_request(spark: SparkSession, config: Config, request: Request) -> RequestResult:
    """Record one request and carry it out.

    A request already in the audit table (the same landed line, a rerun night) is not applied again."""
    if governance.is_recorded(spark, config, request.request_id):
        return RequestResult(outcome="already recorded", extra={"already_recorded": 1})
    identity = governance.resolve(spark, config, request.subject)
    states = governance.states_of(spark, config, identity)
    if request.action == "opt_in" and ("erased" in states or "minor" in states):
        outcome = "recorded; still suppressed (" + ", ".join(s for s in states if s != "opted_out") + ")"
    else:
        outcome = "applied"
    governance.record(spark, config, request, identity, outcome)
    counts = {request.action: 1}
    if request.action == "erase":
        counts.update(purge(spark, config, identity))
        record_erasure(spark, config, request, identity)
    return RequestResult(outcome=outcome, extra=counts)


def apply_requests(spark: SparkSession, config: Config, requests: Sequence[Request]) -> StageResult:
    """The requests landed with a night, in order, before anything of the night is read."""
    totals: Counter[str] = Counter()
    for request in requests:
        totals.update(apply_request(spark, config, request).extra)
    return Counts(extra=dict(totals))


def record_erasure(spark: SparkSession, config: Config, request: Request, identity: Identity) -> None:
    lake = config.lake_path
    version = storage.current_version(spark, PROFILES, lake) if storage.exists(spark, PROFILES, lake) else None
    row = {
        "request_id": request.request_id,
        "profile_key": subject_hash(privacy_key(config), PROFILE_PREFIX + identity.person_id),
        "erased_at": dt.datetime.now(dt.UTC),
        "profiles_version": version,
    }
    storage.ensure_table(spark, ERASURES, lake).alias("e").merge(
        spark.createDataFrame([row], ERASURES.schema).alias("n"), "e.request_id = n.request_id"
    ).whenNotMatchedInsertAll().execute()

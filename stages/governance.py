"""Governance: privacy requests carried out (docs/privacy.md), from the CLI or landed with a night.

optout / optin   record the request; from the next run on the person is left out of scoring (or back in).
erase            record the request, then purge the person from every table and layer at once:
                 rows they own are deleted, other rows naming them are redacted (only what names them,
                 in their networks: transforms/erasure.py), every table is vacuumed (RETAIN 0 HOURS, so
                 no older file keeps a copy) and its commit log's parameters redacted, the validation
                 results, Data Docs pages, executed notebooks and reports cleaned, and the Spark checkpoints
                 removed. The erasure is recorded complete (governance/erasures, which the feed's delete
                 reads) only after all of that; until then every run tries the purge again. Reports counts only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession, functions as F

from expectations.runner import data_docs_dir, validation_results_dir
from influence import governance, storage
from influence.config import Config
from influence.errors import UsageError
from influence.governance import Identity, Request, privacy_key
from influence.location import LakeLike
from influence.notebooks import notebooks_dir
from influence.storage import Lake
from influence.tables import (
    ACCOUNTS,
    ALL_TABLES,
    ERASED,
    ERASURES,
    GOVERNANCE_REQUESTS,
    IDENTITY_LINKS,
    INFLUENCE_SCORES,
    INTERACTIONS,
    MINOR,
    OPTED_OUT,
    POSTS,
    PROFILES,
    QUARANTINE,
    RAW_LINES,
    STAGED_SCORES,
    Table,
)
from stages.report import reports_dir, write_report
from stages.result import StageResult
from transforms.connectors.identity_links import SOURCE as LINKS_SOURCE
from transforms.connectors.registry import ConnectorOptions, line_network
from transforms.erasure import REDACTED, PersonNames, python_pattern, redacted_json, redacted_json_text
from transforms.privacy import PROFILE_PREFIX, subject_hash

log = logging.getLogger(__name__)
_ERASE = "_erase"
_KEY = "_key_"  # a key column's value before redaction, to match the row by
ERASE_PENDING = "purge pending"  # the audit outcome of an erasure until its purge completes


def _owns(accounts: tuple[tuple[str, str], ...], *columns: str) -> Column:
    """The row's (network, column) is one of `accounts`, for any of `columns`."""
    owned = F.lit(False)
    for network in sorted({network for network, _ in accounts}):
        ids = [account_id for account_network, account_id in accounts if account_network == network]
        for column in columns:
            owned = owned | ((F.col("network") == network) & F.col(column).isin(ids))
    return F.coalesce(owned, F.lit(False))


def names_landed_line(names: PersonNames, in_scope: Column) -> Column:
    """A bronze or quarantined line (source, line) naming the person: the rule an erasure deletes it by."""
    return names.names_line(F.col("line"), in_scope, F.col("source") == LINKS_SOURCE)


def erasure_scope(table: Table, names: PersonNames, options: ConnectorOptions) -> Column:
    """A row of `table` is of the person's networks: by its `network` column, or for landed lines by their
    source. Rows without a network (communities, the run log) are scoped by their structs' networks, except
    the run log, whose free texts (file names, messages) may name a handle of any of them."""
    if table in (RAW_LINES, QUARANTINE):
        return names.in_networks(line_network(options))
    if "network" in table.columns:
        return names.in_networks(F.col("network"))
    return F.lit(table.layer == "ops")


def owned_rows(table: Table, names: PersonNames, in_scope: Column) -> Column:
    """The rows of `table` that are the person's own records: deleted, not redacted."""
    if table in (RAW_LINES, QUARANTINE):  # a raw line naming them goes whole
        return names_landed_line(names, in_scope)
    if table is INTERACTIONS:
        return _owns(names.accounts, "actor", "target")
    if table is POSTS:
        return _owns(names.accounts, "author")
    if table is ACCOUNTS:
        return _owns(names.accounts, "account_id")
    if table is IDENTITY_LINKS:
        return _owns(names.accounts, "account_id") | F.col("person_id").isin(list(names.person_ids))
    if table in (STAGED_SCORES, INFLUENCE_SCORES, PROFILES):
        return F.col("person_id").isin(list(names.person_ids))  # pre-link history too
    return F.lit(False)


def _named_rows(table: Table, frame: DataFrame, names: PersonNames, in_scope: Column) -> Column:
    """Other rows naming the person, redacted in place. A landed line that does not name them (owned_rows
    takes those) can still sit in a file named after them."""
    if table in (RAW_LINES, QUARANTINE):
        return F.coalesce(in_scope & F.col("file").rlike(names.value_in_scope), F.lit(False))
    return names.names_row(frame, in_scope)


def purge_table(
    spark: SparkSession, table: Table, lake: LakeLike, names: PersonNames, options: ConnectorOptions
) -> dict[str, int]:
    """Delete the person's rows and redact the others naming them, in one MERGE on the key. Key columns are
    redacted too (a landed file named after them): the MERGE matches on the key as it was."""
    frame = storage.read(spark, table, lake)
    in_scope = erasure_scope(table, names, options)
    owned = owned_rows(table, names, in_scope)
    affected = frame.filter(owned | _named_rows(table, frame, names, in_scope))
    matched_on = {f"{_KEY}{k}": F.col(k) for k in table.key}
    # Materialized (a few rows): inside Delta's MERGE plan the nested redaction expressions took the
    # optimizer minutes and gigabytes of heap on a scores table; the rows themselves take a second. The table
    # is scanned once, here: whether anything is affected is then asked of the checkpoint.
    replacement = names.with_redacted_columns(
        affected.withColumns({_ERASE: owned, "_in_scope": in_scope, **matched_on}), F.col("_in_scope"), keep=(_ERASE, *matched_on)
    ).localCheckpoint()
    if replacement.isEmpty():
        return {"deleted": 0, "redacted": 0}
    (
        storage.ensure_table(spark, table, lake)
        .alias("t")
        .merge(replacement.alias("s"), " AND ".join(f"t.`{k}` = s.`{_KEY}{k}`" for k in table.key))
        .whenMatchedDelete(condition=f"s.{_ERASE}")
        .whenMatchedUpdate(set={f"`{name}`": f"s.`{name}`" for name in table.columns})
        .execute()
    )
    metrics = storage.last_commit_metrics(spark, table, lake)
    return {"deleted": metrics.get("numTargetRowsDeleted", 0), "redacted": metrics.get("numTargetRowsUpdated", 0)}


def redact_request_texts(spark: SparkSession, lake: LakeLike, names: PersonNames) -> int:
    """The audit trail keeps its rows (keyed hashes only) but not a reference or origin text naming them."""
    if not storage.exists(spark, GOVERNANCE_REQUESTS, lake):
        return 0
    pattern = names.free_text
    texts = ("reference", "origin")
    naming = storage.read(spark, GOVERNANCE_REQUESTS, lake).filter(
        F.coalesce(F.col("reference").rlike(pattern), F.lit(False)) | F.col("origin").rlike(pattern)
    )
    if naming.isEmpty():
        return 0
    redacted = naming.select("request_id", *[F.regexp_replace(name, pattern, REDACTED).alias(name) for name in texts])
    storage.ensure_table(spark, GOVERNANCE_REQUESTS, lake).alias("r").merge(
        redacted.alias("s"), "r.request_id = s.request_id"
    ).whenMatchedUpdate(set={name: f"s.{name}" for name in texts}).execute()
    return storage.last_commit_metrics(spark, GOVERNANCE_REQUESTS, lake).get("numTargetRowsUpdated", 0)


def redact_commit_logs(table_path: str, names: PersonNames, spark: SparkSession | None = None) -> int:
    """The commit log keeps every operation's parameters (a replaceWhere predicate naming a landed file):
    those of the table's commits are redacted in place, as valid JSON. Only the parameters of commitInfo
    actions change, which Delta reads for a table's history, never to build its state."""
    compiled, changed = python_pattern(names.log_parameters), 0
    commits = storage.commit_log(table_path, spark)
    for name in commits.names():
        text = commits.read(name)
        if not compiled.search(text):
            continue
        lines, rewritten = [], False
        for line in text.splitlines():
            action = json.loads(line) if line.strip() else None
            if isinstance(action, dict) and "commitInfo" in action:
                info = redacted_json(
                    action["commitInfo"], lambda value: compiled.sub(REDACTED, value), ("operationParameters", "userMetadata")
                )
                if info != action["commitInfo"]:
                    line, rewritten = json.dumps({"commitInfo": info}, separators=(",", ":")), True
            lines.append(line)
        if rewritten:
            commits.replace(name, "\n".join(lines) + "\n")
            changed += 1
    return changed


def redact_validation_files(lake: LakeLike, names: PersonNames) -> int:
    """Stored validation results and Data Docs pages naming the person. Results hold counts, never unexpected
    values (expectations/runner.py); this covers results written before that. JSON stays valid JSON, and the
    suites, checkpoints and configs of the GX project are never rewritten."""
    changed = 0
    in_values = python_pattern(names.value_in_scope)
    for path in sorted(validation_results_dir(lake).rglob("*.json")) if validation_results_dir(lake).is_dir() else []:
        text = path.read_text(encoding="utf-8")
        redacted = redacted_json_text(text, lambda value: in_values.sub(REDACTED, value))
        if redacted != text:
            storage.replace_local_text(path, redacted)
            changed += 1
    # pages of any network: person ids, handles and non-numeric ids (a bare number there is a count or a bound)
    changed += _redacted_texts(data_docs_dir(lake), python_pattern(names.in_text), "*.html")
    return changed


def _redacted_texts(folder: Path, compiled: re.Pattern, glob: str) -> int:
    changed = 0
    for path in sorted(folder.rglob(glob)) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        redacted = compiled.sub(REDACTED, text)
        if redacted != text:
            storage.replace_local_text(path, redacted)
            changed += 1
    return changed


def redact_notebook_outputs(lake: LakeLike, names: PersonNames) -> int:
    """Executed notebooks kept in the lake: the outputs of their cells (tables and texts printed from the lake),
    by person ids, handles and non-numeric ids."""
    compiled, changed = python_pattern(names.in_text), 0
    for path in sorted(notebooks_dir(lake).glob("*.ipynb")) if notebooks_dir(lake).is_dir() else []:
        text = path.read_text(encoding="utf-8")
        notebook = json.loads(text)
        for cell in notebook.get("cells", []):
            if "outputs" in cell:
                cell["outputs"] = redacted_json(cell["outputs"], lambda value: compiled.sub(REDACTED, value))
        redacted = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        if json.loads(redacted) != json.loads(text):
            storage.replace_local_text(path, redacted)
            changed += 1
    return changed


def rebuild_reports(spark: SparkSession, lake: LakeLike, names: PersonNames) -> int:
    """Nightly reports that name the person, built again from the purged lake. A regex over the page would also
    hit the numbers of its charts (an account id "16" and a bar 16 px high); a page that cannot be rebuilt
    (its date's run is gone from the run log) is redacted by its tokens."""
    compiled, rebuilt = python_pattern(names.in_text), 0
    for page in sorted(reports_dir(lake).glob("*.html")) if reports_dir(lake).is_dir() else []:
        if not compiled.search(page.read_text(encoding="utf-8")):
            continue
        try:
            write_report(Lake(spark, lake), dt.date.fromisoformat(page.stem))
        except (UsageError, ValueError):
            storage.replace_local_text(page, compiled.sub(REDACTED, page.read_text(encoding="utf-8")))
        rebuilt += 1
    return rebuilt


# Purged last, after every other table and file: a purge that fails before them resolves the same person,
# accounts and handles when it is retried.
_RESOLVED_FROM = (ACCOUNTS, IDENTITY_LINKS)


def purge(spark: SparkSession, config: Config, identity: Identity) -> dict[str, int]:
    """Every table, file and checkpoint of the lake without the person (see the module docstring).

    Tables are vacuumed once their MERGEs are done, and only those that can hold a copy of the person in a
    file the current version no longer uses: the ones this purge rewrote, and the ones whose history
    removed files since their last vacuum (an overwrite or MERGE of an earlier night)."""
    lake = config.lake_location
    names = identity.names()
    options = config.connector_options
    present = [table for table in ALL_TABLES if storage.exists(spark, table, lake)]
    purged = [table for table in present if table.layer != "governance"]
    first = [table for table in purged if table not in _RESOLVED_FROM]
    # Tables are independent: their scans and MERGEs run side by side (small jobs, mostly latency).
    with ThreadPoolExecutor(max_workers=4) as pool:
        removed = list(zip(first, pool.map(lambda table: purge_table(spark, table, lake, names, options), first)))
    counts = _removal_counts(removed)
    requests_redacted = redact_request_texts(spark, lake, names)
    counts["governance_requests_redacted"] = requests_redacted
    rest = [table for table in present if table not in _RESOLVED_FROM]
    vacuumed = _vacuumed(spark, lake, rest, removed, also=(GOVERNANCE_REQUESTS,) if requests_redacted else ())
    counts["files_redacted"] = redact_validation_files(lake, names) + redact_notebook_outputs(lake, names)
    counts["reports_rebuilt"] = rebuild_reports(spark, lake, names)
    checkpoints = config.checkpoint_path
    if checkpoints.is_dir():
        shutil.rmtree(checkpoints)
        checkpoints.mkdir(parents=True)
    last = [table for table in _RESOLVED_FROM if table in purged]
    removed_last = [(table, purge_table(spark, table, lake, names, options)) for table in last]
    counts.update(_removal_counts(removed_last))
    vacuumed += _vacuumed(spark, lake, last, removed_last)
    counts["tables_vacuumed"] = len(vacuumed)
    counts["commit_logs_redacted"] = sum(redact_commit_logs(table.path(lake), names, spark) for table in present)
    return counts


def _removal_counts(removed: list[tuple[Table, dict[str, int]]]) -> dict[str, int]:
    counts = {}
    for table, removal in removed:
        counts[f"{table.layer}_{table.name}_deleted"] = removal["deleted"]
        counts[f"{table.layer}_{table.name}_redacted"] = removal["redacted"]
    return counts


def _vacuumed(
    spark: SparkSession,
    lake: LakeLike,
    tables: list[Table],
    removed: list[tuple[Table, dict[str, int]]],
    also: tuple[Table, ...] = (),
) -> list[Table]:
    """Vacuum now the tables this purge changed and those that removed files since their last vacuum."""
    changed_names = {table.qualified_name for table, removal in removed if removal["deleted"] or removal["redacted"]}
    to_vacuum = [
        table
        for table in tables
        if table.qualified_name in changed_names or storage.removed_files_since_vacuum(spark, table, lake)
    ]
    to_vacuum += [table for table in also if table not in to_vacuum]
    storage.vacuum_now(spark, *(table.path(lake) for table in to_vacuum))
    return to_vacuum


@dataclass(frozen=True, kw_only=True)
class RequestResult(StageResult):
    outcome: str  # a few words, no identifier


def apply_request(spark: SparkSession, config: Config, request: Request) -> RequestResult:
    """Record one request and carry it out.

    A request already in the audit table (the same landed line, a rerun night) is not applied again, except
    an erasure whose purge did not complete: that one is purged again, until it is recorded complete."""
    recorded = governance.is_recorded(spark, config, request.request_id)
    if recorded and request.action == "erase" and governance.is_erasure_complete(spark, config, request.request_id):
        governance.set_outcome(spark, config, request.request_id, "applied", only_if=ERASE_PENDING)
        return RequestResult(outcome="already recorded", extra={"already_recorded": 1})
    if recorded and request.action != "erase":
        return RequestResult(outcome="already recorded", extra={"already_recorded": 1})
    identity = governance.resolve(spark, config, request.subject)
    counts = {request.action: 1}
    if request.action == "erase":
        # consent first (idempotent): from now on ingest suppresses them, even if the purge fails
        governance.record(spark, config, request, identity, ERASE_PENDING)
        if recorded:
            counts["erase_retried"] = 1
        counts.update(purge(spark, config, identity))
        # this request and any earlier erasure of the same person whose purge failed are now complete
        for request_id in {request.request_id, *governance.pending_erasures(spark, config, identity, ERASE_PENDING)}:
            record_erasure(spark, config, request_id, identity)
            governance.set_outcome(spark, config, request_id, "applied")
        return RequestResult(outcome="applied", extra=counts)
    states = governance.states_of(spark, config, identity)
    if request.action == "opt_in" and {ERASED, MINOR} & set(states):  # an opt-in lifts neither
        outcome = "recorded; still suppressed (" + ", ".join(s for s in states if s != OPTED_OUT) + ")"
    else:
        outcome = "applied"
    governance.record(spark, config, request, identity, outcome)
    return RequestResult(outcome=outcome, extra=counts)


@dataclass(frozen=True, kw_only=True)
class GovernanceResult(StageResult):
    consent: governance.ConsentSnapshot  # the consent table once the requests are applied, for the night's stages


def apply_requests(spark: SparkSession, config: Config, requests: Sequence[Request]) -> GovernanceResult:
    """The requests landed with a night, in order, before anything of the night is read."""
    totals: Counter[str] = Counter()
    for request in requests:
        totals.update(apply_request(spark, config, request).extra)
    return GovernanceResult(consent=governance.read_consent(spark, config), extra=dict(totals))


def record_erasure(spark: SparkSession, config: Config, request_id: str, identity: Identity) -> None:
    lake = config.lake_location
    version = storage.current_version(spark, PROFILES, lake) if storage.exists(spark, PROFILES, lake) else None
    row = {
        "request_id": request_id,
        "profile_key": subject_hash(privacy_key(config), PROFILE_PREFIX + identity.person_id),
        "erased_at": dt.datetime.now(dt.UTC),
        "profiles_version": version,
    }
    storage.ensure_table(spark, ERASURES, lake).alias("e").merge(
        spark.createDataFrame([row], ERASURES.schema).alias("n"), "e.request_id = n.request_id"
    ).whenNotMatchedInsertAll().execute()

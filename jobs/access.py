"""influence access: everything the lake holds about a person, as one JSON file (docs/privacy.md#access-requests).

The subject (`--account NETWORK:ID` or `--person ID`) is resolved to the person and their linked accounts
and handles (influence.governance.resolve). Each table is filtered to that person's rows before anything is
collected: a person's accounts, posts and interactions of the scoring window, score history, published
profile, consent states and governance requests are a few hundred rows at most. Rows are encoded by Spark's
own JSON writer (timestamps ISO-8601 in UTC, nulls kept), so the file says what the tables hold.

A person the lake does not know gets a file with empty sections; an erased person gets the consent and audit
records only (the lake holds nothing else of them). The file is written to a temporary file next to --out and
renamed into place; the run log keeps counts only, never the identifier.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from collections import Counter
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession, functions as F

from influence import governance, storage
from influence.config import Config
from influence.errors import UsageError
from influence.governance import Identity, Subject
from influence.runlog import RunLog, RunRecord, new_run_id
from influence.session import build_spark
from influence.tables import (
    ACCOUNTS,
    CONSENT,
    ERASED,
    GOVERNANCE_REQUESTS,
    IDENTITY_LINKS,
    INFLUENCE_SCORES,
    INTERACTIONS,
    POSTS,
    PROFILES,
    QUARANTINE,
    Table,
)
from stages.governance import erasure_scope, names_landed_line
from transforms.model.weights import in_window
from transforms.privacy import subject_hash

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"  # UTC session time zone: ...Z

ACCOUNT_FIELDS = (
    "network",
    "account_id",
    "handle",
    "display_name",
    "bio",
    "lang",
    "followers_count",
    "profile_observed_at",
    "first_seen_at",
    "last_seen_at",
    "first_run_date",
    "last_run_date",
)
POST_FIELDS = ("network", "post_id", "created_at")
INTERACTION_FIELDS = ("network", "interaction_id", "kind", "occurred_at", "post_id", "target_post_id")
SCORE_FIELDS = (
    "run_date",
    "score",
    "raw_score",
    "percentile",
    "pagerank",
    "relative_rank",
    "reach_score",
    "amplification_score",
    "network_score",
    "engagers",
    "interactions_received",
    "model_version",
    "config_hash",
)
REQUEST_FIELDS = ("request_id", "subject_kind", "action", "requested_at", "recorded_at", "reference", "origin", "outcome")
MODEL_OUTPUT = ("explanation", "topics")  # their own sections, left out of `profile`
MESSAGES = {
    "found": "everything the lake holds about the person",
    "unknown": "the lake holds nothing about this subject: every section is empty",
    "erased": "the person was erased: the lake holds only the consent and audit records",
}


def table_name(table: Table) -> str:
    """How docs/privacy.md names a table: its folder under the lake."""
    return f"{table.layer}/{table.name}"


def check_out(text: str) -> Path:
    """The --out file, refused (exit 2, before Spark starts) when it is a folder or its folder is missing."""
    out = Path(text).expanduser().resolve()
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder: give the name of the JSON file to write")
    if not out.parent.is_dir():
        raise UsageError(f"--out: folder {out.parent} does not exist")
    return out


def ids_by_network(identity: Identity) -> dict[str, list[str]]:
    """The account ids the person's rows carry, per network: each account, and '@handle' (an account the
    lake knows only by its handle until it learns the id)."""
    ids: dict[str, set[str]] = {}
    for network, account_id in identity.accounts:
        ids.setdefault(network, set()).add(account_id)
    for network, handle in identity.handles:
        ids.setdefault(network, set()).add("@" + handle.lstrip("@"))
    return {network: sorted(found) for network, found in sorted(ids.items())}


def is_account_of(ids: dict[str, list[str]], column: str) -> Column:
    """The row's (network, `column`) is one of the person's accounts."""
    condition = F.lit(False)
    for network, account_ids in ids.items():
        condition = condition | ((F.col("network") == network) & F.col(column).isin(account_ids))
    return condition


def is_in_window(end: dt.date | None, window_days: int, time: str, landed: str) -> Column:
    """The model's window (transforms.model.weights): landed by the end date, aged less than window_days at its end."""
    return F.lit(False) if end is None else in_window(end, window_days, time, landed)


def window_section(end: dt.date | None, window_days: int, end_from: str | None) -> dict:
    """Dates (UTC) the posts and interactions sections cover; start and days are null when unbounded."""
    bounded = window_days > 0 and end is not None
    return {
        "start_date": (end - dt.timedelta(days=window_days - 1)).isoformat() if bounded else None,
        "end_date": end.isoformat() if end else None,
        "days": window_days if window_days > 0 else None,
        "end_from": end_from,
    }


def json_rows(frame: DataFrame, columns: tuple[str, ...]) -> list[dict]:
    """`columns` of every row as plain JSON values, encoded by Spark (a person's few rows only)."""
    options = {"ignoreNullFields": "false", "timestampFormat": TIMESTAMP_FORMAT}
    encoded = frame.select(F.to_json(F.struct(*columns), options).alias("row"))
    return [json.loads(row.row) for row in encoded.collect()]


def interaction_sections(rows: list[dict]) -> dict:
    """given / received, each with its count, the count per kind and the interactions, oldest first."""
    sections = {}
    for direction in ("given", "received"):
        items = sorted(
            ({name: row[name] for name in INTERACTION_FIELDS} for row in rows if row[f"is_{direction}"]),
            key=lambda item: (item["occurred_at"] is None, item["occurred_at"] or "", item["interaction_id"]),
        )
        by_kind = Counter(item["kind"] for item in items)
        sections[direction] = {"count": len(items), "by_kind": dict(sorted(by_kind.items())), "items": items}
    return sections


def account_entries(rows: list[dict], linked: set[tuple[str, str]]) -> list[dict]:
    """Each account of the person silver/accounts holds, and each linked one it does not (fields null)."""
    found = {(row["network"], row["account_id"]): row for row in rows}
    entries = []
    for network, account_id in sorted(set(found) | linked):
        row = found.get((network, account_id)) or {name: None for name in ACCOUNT_FIELDS}
        entries.append({**row, "network": network, "account_id": account_id, "linked": (network, account_id) in linked})
    return entries


def model_output(profile: dict | None, history: list[dict]) -> dict:
    """topics and explanation from the published profile, else from the latest score row."""
    if profile is not None:
        source, date = profile, {"table": table_name(PROFILES), "date": profile["as_of_date"]}
    elif history:
        source = max(history, key=lambda row: row["run_date"])
        date = {"table": table_name(INFLUENCE_SCORES), "date": source["run_date"]}
    else:
        return {"topics": [], "explanation": None, "explained_by": None}
    return {"topics": source["topics"] or [], "explanation": source["explanation"], "explained_by": date}


def empty_document(subject: Subject, person_id: str, generated_at: dt.datetime) -> dict:
    """The layout of docs/privacy.md#access-requests with every data section empty."""
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{generated_at.microsecond // 1000:03d}Z",
        "status": "unknown",
        "message": "",
        "subject": {"kind": subject.kind, "value": subject.value, "person_id": person_id},
        "accounts": [],
        "consent": {"states": [], "requests": []},
        "window": window_section(None, 0, None),
        "posts": {"count": 0, "items": []},
        "interactions": interaction_sections([]),
        "score_history": [],
        "profile": None,
        "topics": [],
        "explanation": None,
        "explained_by": None,
        "quarantine": {"lines": 0},
    }


def consent_section(spark: SparkSession, config: Config, identity: Identity) -> dict:
    """Suppressing states of any key of the person, and the audit rows of requests naming one of those keys
    (or having set one of their consent rows: an erasure requested by person, found again by account)."""
    lake = config.lake_location
    if not (storage.exists(spark, CONSENT, lake) or storage.exists(spark, GOVERNANCE_REQUESTS, lake)):
        return {"states": [], "requests": []}  # no request was ever recorded (and no key is created)
    states = governance.states_of(spark, config, identity)
    if not storage.exists(spark, GOVERNANCE_REQUESTS, lake):
        return {"states": states, "requests": []}
    key = governance.privacy_key(config)
    keys = [subject_hash(key, subject) for _, subject in identity.subjects()]
    consent = governance.consent_table(spark, config).filter(F.col("subject_key").isin(keys))
    request_ids = sorted({row.request_id for row in consent.select("request_id").distinct().collect()})  # a few
    requests = storage.read(spark, GOVERNANCE_REQUESTS, lake).filter(
        F.col("subject_key").isin(keys) | F.col("request_id").isin(request_ids)
    )
    rows = sorted(json_rows(requests, REQUEST_FIELDS), key=lambda row: (row["requested_at"], row["request_id"]))
    return {"states": states, "requests": rows}


def window_end(spark: SparkSession, config: Config) -> tuple[dt.date | None, str | None]:
    """The latest published as_of_date, else the latest run date in silver/interactions (one-row aggregates)."""
    lake = config.lake_location
    for table, column in ((PROFILES, "as_of_date"), (INTERACTIONS, "run_date")):
        if storage.exists(spark, table, lake):
            latest = storage.read(spark, table, lake).agg(F.max(column).alias("latest")).first().latest
            if latest is not None:
                return latest, table_name(table)
    return None, None


def read_if_exists(spark: SparkSession, config: Config, table: Table) -> DataFrame | None:
    return storage.read(spark, table, config.lake_location) if storage.exists(spark, table, config.lake_location) else None


def person_data(spark: SparkSession, config: Config, identity: Identity) -> dict:
    """The data sections: the person's rows of every table, filtered before they are collected."""
    ids = ids_by_network(identity)
    end, end_from = window_end(spark, config)
    window_days = config.model.window_days
    sections: dict = {"window": window_section(end, window_days, end_from)}

    accounts, links = read_if_exists(spark, config, ACCOUNTS), read_if_exists(spark, config, IDENTITY_LINKS)
    account_rows = json_rows(accounts.filter(is_account_of(ids, "account_id")), ACCOUNT_FIELDS) if accounts else []
    linked = set()
    if links is not None:
        person_links = links.filter(F.col("person_id") == identity.person_id).select("network", "account_id")
        linked = {(row.network, row.account_id) for row in person_links.collect()}  # a person's few accounts
    sections["accounts"] = account_entries(account_rows, linked)

    posts = read_if_exists(spark, config, POSTS)
    post_rows = (
        []
        if posts is None
        else json_rows(
            posts.filter(is_account_of(ids, "author") & is_in_window(end, window_days, "created_at", "first_run_date")),
            POST_FIELDS,
        )
    )
    post_rows.sort(key=lambda row: (row["created_at"] is None, row["created_at"] or "", row["network"], row["post_id"]))
    sections["posts"] = {"count": len(post_rows), "items": post_rows}

    interactions = read_if_exists(spark, config, INTERACTIONS)
    interaction_rows = (
        []
        if interactions is None
        else json_rows(
            interactions.filter(is_in_window(end, window_days, "occurred_at", "run_date"))
            .select(
                *INTERACTION_FIELDS,
                is_account_of(ids, "actor").alias("is_given"),
                F.coalesce(is_account_of(ids, "target"), F.lit(False)).alias("is_received"),
            )
            .filter(F.col("is_given") | F.col("is_received")),
            (*INTERACTION_FIELDS, "is_given", "is_received"),
        )
    )
    sections["interactions"] = interaction_sections(interaction_rows)

    scores = read_if_exists(spark, config, INFLUENCE_SCORES)
    score_rows = (
        []
        if scores is None
        # their history under the ids their accounts had before a link too
        else json_rows(scores.filter(F.col("person_id").isin(list(identity.names().person_ids))), (*SCORE_FIELDS, *MODEL_OUTPUT))
    )
    score_rows.sort(key=lambda row: row["run_date"])
    profiles = read_if_exists(spark, config, PROFILES)
    profile_rows = (
        [] if profiles is None else json_rows(profiles.filter(F.col("person_id") == identity.person_id), tuple(PROFILES.columns))
    )
    profile = profile_rows[0] if profile_rows else None  # person_id is the key: one row at most
    sections.update(model_output(profile, score_rows))
    sections["score_history"] = [{name: row[name] for name in SCORE_FIELDS} for row in score_rows]
    sections["profile"] = None if profile is None else {k: v for k, v in profile.items() if k not in MODEL_OUTPUT}

    quarantine = read_if_exists(spark, config, QUARANTINE)
    # Quarantined lines naming them: the rule an erasure deletes them by.
    names = identity.names()
    naming = names_landed_line(names, erasure_scope(QUARANTINE, names, config.connector_options))
    sections["quarantine"] = {"lines": 0 if quarantine is None else quarantine.filter(naming).count()}
    return sections


def holds_anything(document: dict) -> bool:
    return bool(
        document["accounts"]
        or document["posts"]["count"]
        or document["score_history"]
        or document["profile"]
        or document["interactions"]["given"]["count"]
        or document["interactions"]["received"]["count"]
        or document["consent"]["states"]
        or document["consent"]["requests"]
        or document["quarantine"]["lines"]
    )


def build_document(spark: SparkSession, config: Config, subject: Subject, generated_at: dt.datetime) -> dict:
    identity = governance.resolve(spark, config, subject)
    document = empty_document(subject, identity.person_id, generated_at)
    document["consent"] = consent_section(spark, config, identity)
    if ERASED in document["consent"]["states"]:
        for name in ("accounts", "window", "posts", "interactions", "score_history", "topics", "quarantine"):
            document[name] = None  # not read: an erasure left nothing of them in these tables
        document["status"] = "erased"
    else:
        document.update(person_data(spark, config, identity))
        document["status"] = "found" if holds_anything(document) else "unknown"
    document["message"] = MESSAGES[document["status"]]
    return document


def section_counts(document: dict) -> dict[str, int]:
    """What the file holds, in counts: the run log's record of an access request."""
    interactions = document["interactions"] or {}
    return {
        "accounts": len(document["accounts"] or []),
        "posts": (document["posts"] or {}).get("count", 0),
        "interactions_given": interactions.get("given", {}).get("count", 0),
        "interactions_received": interactions.get("received", {}).get("count", 0),
        "score_rows": len(document["score_history"] or []),
        "profiles": int(document["profile"] is not None),
        "consent_states": len(document["consent"]["states"]),
        "requests": len(document["consent"]["requests"]),
        "quarantined_lines": (document["quarantine"] or {}).get("lines", 0),
    }


def write_atomically(out: Path, document: dict) -> None:
    """The JSON file at `out`, complete or not at all: a temporary file in the same folder, renamed (mode 0600)."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2, ensure_ascii=False)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run_access(config: Config, subject: Subject, out: Path) -> str:
    """The CLI's access: one logged run; the run log and the returned line hold counts, never the identifier."""
    spark = build_spark(config, app_name="influence-access")
    runlog = RunLog(spark, config.lake_location)
    record = RunRecord(new_run_id(None), "access", None, None, config.spark.master)
    with runlog.recording(record), record.stage("access") as counts:
        document = build_document(spark, config, subject, dt.datetime.now(dt.UTC))
        counts.update(section_counts(document))
        write_atomically(out, document)
    held = ", ".join(f"{name}={value}" for name, value in counts.items())
    summary = f"access {document['status']}: {held}"
    runlog.finish(record, "done", 0, summary)
    return f"run {record.run_id}: {summary}; {document['message']}; wrote {out}"

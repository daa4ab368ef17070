"""Governance requests (docs/privacy.md): opt-out, opt-in, erase, minor.

Requests come from the CLI (`influence optout|optin|erase`) or from the landing folder
`DIR/governance/*.jsonl`, one JSON object per line:

  {"account": "twitter:12345" | "person": "p-17", "action": "opt_out" | "opt_in" | "erase" | "minor",
   "requested_at": "2024-03-10T09:00:00Z", "reference": "ticket 4411"}

They are recorded in governance/requests (the audit trail) and governance/consent (who is suppressed),
both holding the identifier only as a keyed hash. A malformed request stops the job before it writes:
a person's objection must not be dropped into a quarantine table and forgotten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession, functions as F

from influence import storage
from influence.config import Config
from influence.errors import UsageError
from influence.location import LakeLike, ops_folder
from influence.tables import (
    ACCOUNTS,
    CONSENT,
    ERASED,
    ERASURES,
    GOVERNANCE_ACTIONS,
    GOVERNANCE_REQUESTS,
    IDENTITY_LINKS,
    MINOR,
    NETWORKS,
    OPTED_IN,
    OPTED_OUT,
    SUPPRESSING_STATES,
)
from transforms.erasure import PersonNames
from transforms.privacy import subject_hash

GOVERNANCE_FOLDER = "governance"
KEY_ENVIRONMENT = "INFLUENCE_PRIVACY_KEY"
STATE_OF_ACTION = {"opt_out": OPTED_OUT, "erase": ERASED, "minor": MINOR}  # opt_in writes an OPTED_IN row


FINGERPRINT_FILE = "_key_fingerprint"  # in <lake>/governance/: which key the lake's hashes were made with
_FINGERPRINT_MESSAGE = b"influence-lakehouse privacy key fingerprint v1"


def key_fingerprint(key: bytes) -> str:
    """A keyed hash of a constant: it tells keys apart and reveals nothing of the key."""
    return hmac.new(key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()


def fingerprint_path(lake: LakeLike) -> Path:
    return ops_folder(lake) / GOVERNANCE_FOLDER / FINGERPRINT_FILE


def privacy_key(config: Config) -> bytes:
    """The secret of the keyed hashes, checked against the key the lake was keyed with.

    It comes from INFLUENCE_PRIVACY_KEY (hex), else from the key file (`privacy.key_file`, default
    <lake>/governance/_key). The lake records the key's fingerprint the first time a key is used with it. A
    key whose fingerprint differs, or no key at all for a lake that has data, is a UsageError (exit 2): with
    another key no consent record matches, and everyone who opted out or was erased would be published
    again. A key is created (atomically, mode 0600) only for a lake that holds nothing yet.
    """
    lake = config.lake_location
    path = config.privacy_key_path
    recorded = _recorded_fingerprint(lake)
    from_environment = os.environ.get(KEY_ENVIRONMENT, "").strip()
    if from_environment:
        key, where = _decoded_key(from_environment, KEY_ENVIRONMENT), f"the environment variable {KEY_ENVIRONMENT}"
    elif path.is_file():
        _require_private(path)
        key, where = _decoded_key(path.read_text(encoding="ascii").strip(), str(path)), f"the key file {path}"
    elif recorded is not None or (lake.is_local and _holds_data(lake.local_root)):
        keyed = f"was keyed with the key of fingerprint {recorded[:16]}" if recorded else "holds data keyed with an earlier key"
        raise UsageError(
            f"no privacy key: lake {lake} {keyed}, and there is no key in {KEY_ENVIRONMENT} or in {path} "
            "(privacy.key_file). Restore that key file or set the variable; a new key would publish everyone who "
            "opted out or was erased. Nothing was written."
        )
    elif not lake.is_local:
        # Nothing here can tell whether a bucket already holds data keyed with another key: never guess.
        raise UsageError(
            f"no privacy key: lake {lake} is in an object store, and its key is never created for it. Write one "
            f"(python -c 'import secrets; print(secrets.token_hex(32))' > {path}; chmod 600 {path}), keep it "
            f"outside the lake, and name it in privacy.key_file or {KEY_ENVIRONMENT}. Nothing was written."
        )
    else:
        key, where = _created_key(path), f"the key file {path}"
    fingerprint = key_fingerprint(key)
    if recorded is None:
        _record_fingerprint(lake, fingerprint)
    elif recorded != fingerprint:
        raise UsageError(
            f"the privacy key in {where} (fingerprint {fingerprint[:16]}) is not the key lake {lake} was keyed with "
            f"(fingerprint {recorded[:16]}); set {KEY_ENVIRONMENT} or privacy.key_file to that key. With another "
            "key no consent record matches and everyone who opted out or was erased would be published again. "
            "Nothing was written."
        )
    return key


def _recorded_fingerprint(lake: LakeLike) -> str | None:
    try:
        return json.loads(fingerprint_path(lake).read_text(encoding="utf-8"))["fingerprint"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"{fingerprint_path(lake)} is damaged: it should hold the privacy key's fingerprint") from None


def _holds_data(lake: Path) -> bool:
    """A lake written before it recorded fingerprints, with tables that hold keyed hashes: the governance
    tables (consent is matched by them) and gold (published profile keys, community ids)."""
    return any(lake.glob("governance/*/_delta_log")) or any(lake.glob("gold/*/_delta_log")) if lake.is_dir() else False


def _require_private(path: Path) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise UsageError(f"the privacy key file {path} can be read by others (mode {mode:o}); run `chmod 600 {path}`")


def _written_once(path: Path, text: str, mode: int) -> bool:
    """`text` in `path`, whole or not at all: written under a temporary name, then linked to the name, which
    fails if another process got there first (it wins; False). A crash leaves no half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(partial, path)
        return True
    except FileExistsError:
        return False
    finally:
        partial.unlink(missing_ok=True)


def _created_key(path: Path) -> bytes:
    _written_once(path, secrets.token_hex(32) + "\n", 0o600)
    _require_private(path)
    return _decoded_key(path.read_text(encoding="ascii").strip(), str(path))


def _record_fingerprint(lake: LakeLike, fingerprint: str) -> None:
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = json.dumps({"fingerprint": fingerprint, "recorded_at": created}) + "\n"
    if not _written_once(fingerprint_path(lake), record, 0o644) and _recorded_fingerprint(lake) != fingerprint:
        raise UsageError(f"another command recorded a different privacy key for lake {lake} at the same time; run again")


def _decoded_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise UsageError(f"privacy key in {where} is not hex") from None
    if len(key) < 16:
        raise UsageError(f"privacy key in {where} is {len(key)} bytes; it needs at least 16")
    return key


@dataclass(frozen=True)
class Subject:
    """What a request names: an account `network:account_id` or a person id."""

    kind: str  # account | person
    value: str

    @property
    def network(self) -> str:
        return self.value.split(":", 1)[0]

    @property
    def account_id(self) -> str:
        return self.value.split(":", 1)[1]

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.value}"


def parse_account(text: str) -> Subject:
    network, _, account_id = text.partition(":")
    if network not in NETWORKS or not account_id.strip():
        raise UsageError(f"account {text!r} is not NETWORK:ID with a network in {', '.join(NETWORKS)}")
    return Subject("account", f"{network}:{account_id}")


def parse_person(text: str) -> Subject:
    if not text.strip():
        raise UsageError("person id must not be empty")
    return Subject("person", text)


@dataclass(frozen=True)
class Request:
    subject: Subject
    action: str
    requested_at: dt.datetime
    reference: str | None
    origin: str  # cli | landing:<file>
    request_id: str


def cli_request(subject: Subject, action: str, reference: str | None) -> Request:
    now = dt.datetime.now(dt.UTC)
    return Request(subject, action, now, reference, "cli", uuid.uuid4().hex)


def read_landed_requests(input_dir: Path) -> list[Request]:
    """Requests of DIR/governance/*.jsonl, in file and line order; UsageError names a bad line."""
    folder = Path(input_dir) / GOVERNANCE_FOLDER
    requests = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            # The same line landed again is the same request: recorded once.
            request_id = hashlib.sha256(f"{digest}:{number}".encode()).hexdigest()[:32]
            requests.append(_parse_request(line, where, f"landing:{GOVERNANCE_FOLDER}/{path.name}", request_id))
    return requests


def _parse_request(line: str, where: str, origin: str, request_id: str) -> Request:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise UsageError(f"governance request {where} is not JSON: {error.msg}") from None
    if not isinstance(record, dict):
        raise UsageError(f"governance request {where} is not a JSON object")
    if ("account" in record) == ("person" in record):
        raise UsageError(f'governance request {where} must name exactly one of "account" or "person"')
    action = record.get("action")
    if action not in GOVERNANCE_ACTIONS:
        raise UsageError(f"governance request {where}: action {action!r} is not one of {', '.join(GOVERNANCE_ACTIONS)}")
    subject = parse_account(str(record["account"])) if "account" in record else parse_person(str(record["person"]))
    try:
        requested_at = dt.datetime.fromisoformat(str(record.get("requested_at", "")).replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"governance request {where}: requested_at {record.get('requested_at')!r} is not ISO-8601") from None
    if requested_at.tzinfo is None:
        requested_at = requested_at.replace(tzinfo=dt.UTC)
    reference = record.get("reference")
    return Request(subject, action, requested_at, None if reference is None else str(reference), origin, request_id)


@dataclass(frozen=True)
class Identity:
    """Everything the lake knows a subject by (the raw identifiers never leave the process)."""

    person_id: str
    accounts: tuple[tuple[str, str], ...]  # (network, account_id)
    handles: tuple[tuple[str, str], ...]  # (network, handle)

    def subjects(self) -> list[tuple[str, str]]:
        """(subject_kind, subject) of every key this identity answers to."""
        found = [("person", f"person:{self.person_id}")]
        found += [("account", f"account:{network}:{account_id}") for network, account_id in self.accounts]
        found += [("handle", f"handle:{network}:{handle.lstrip('@').lower()}") for network, handle in self.handles]
        return found

    def names(self) -> PersonNames:
        """What names them in stored data, scoped to their networks (transforms/erasure.py)."""
        return PersonNames.of(self.person_id, self.accounts, self.handles)


def resolve(spark: SparkSession, config: Config, subject: Subject) -> Identity:
    """The person behind `subject`, their linked accounts and known handles (a few rows)."""
    lake = config.lake_location
    links = storage.read(spark, IDENTITY_LINKS, lake) if storage.exists(spark, IDENTITY_LINKS, lake) else None

    def person_of(network: str, account_id: str) -> str:
        """The person an account is linked to, else the account as its own person `network:account_id`."""
        if links is not None:
            linked = links.filter((F.col("network") == network) & (F.col("account_id") == account_id))
            found = linked.select("person_id").limit(1).collect()  # one row
            if found:
                return found[0].person_id
        return f"{network}:{account_id}"

    if subject.kind == "account":
        person_id = person_of(subject.network, subject.account_id)
        accounts = {(subject.network, subject.account_id)}
    else:
        person_id = subject.value
        accounts = set()
        network, _, account_id = person_id.partition(":")
        if network in NETWORKS and account_id:
            # `--person twitter:123` names an account's own person id: once the account is linked, its
            # person is the one it links to, with every account of theirs
            accounts.add((network, account_id))
            person_id = person_of(network, account_id)
    if links is not None:
        accounts |= {
            (row.network, row.account_id)
            for row in links.filter(F.col("person_id") == person_id).select("network", "account_id").collect()
        }  # a person's few accounts
    handles: set[tuple[str, str]] = set()
    if storage.exists(spark, ACCOUNTS, lake) and accounts:
        wanted = spark.createDataFrame(sorted(accounts), "network string, account_id string")
        handles = {
            (row.network, row.handle)
            for row in storage.read(spark, ACCOUNTS, lake)
            .join(wanted, on=["network", "account_id"], how="left_semi")
            .filter(F.col("handle").isNotNull())
            .select("network", "handle")
            .collect()
        }  # a person's few accounts
    handles |= {(network, account_id) for network, account_id in accounts if account_id.startswith("@")}
    return Identity(person_id, tuple(sorted(accounts)), tuple(sorted(handles)))


def consent_table(spark: SparkSession, config: Config) -> DataFrame:
    """The consent rows, or none when nobody asked anything yet (the table does not exist)."""
    return storage.read(spark, CONSENT, config.lake_location) if has_consent_table(spark, config) else no_consent(spark)


def has_consent_table(spark: SparkSession, config: Config) -> bool:
    return storage.exists(spark, CONSENT, config.lake_location)


def no_consent(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([], CONSENT.schema)


@dataclass(frozen=True)
class ConsentSnapshot:
    """The consent table as a night found it once its privacy requests were applied: read once and held in
    memory for the night's stages, with the states it holds known in the driver, so that a stage acting on
    some states reads nothing when none is held (the lease keeps any other writer out meanwhile)."""

    frame: DataFrame
    states: frozenset[str]

    def holds_any(self, states: Iterable[str]) -> bool:
        return not self.states.isdisjoint(states)


def read_consent(spark: SparkSession, config: Config) -> ConsentSnapshot:
    if not has_consent_table(spark, config):  # nobody asked anything yet: nothing to read
        return ConsentSnapshot(no_consent(spark), frozenset())
    frame = storage.read(spark, CONSENT, config.lake_location).localCheckpoint()
    states = frozenset(row.state for row in frame.select("state").distinct().collect())  # a handful of states
    return ConsentSnapshot(frame, states)


def record(spark: SparkSession, config: Config, request: Request, identity: Identity, outcome: str) -> None:
    """The audit row of `request` (once per request_id) and the consent rows it sets or lifts."""
    key = privacy_key(config)
    lake = config.lake_location
    now = dt.datetime.now(dt.UTC)
    audit = spark.createDataFrame(
        [
            {
                "request_id": request.request_id,
                "subject_kind": request.subject.kind,
                "subject_key": subject_hash(key, request.subject.subject),
                "action": request.action,
                "requested_at": request.requested_at,
                "recorded_at": now,
                "reference": request.reference,
                "origin": request.origin,
                "outcome": outcome,
            }
        ],
        GOVERNANCE_REQUESTS.schema,
    )
    storage.ensure_table(spark, GOVERNANCE_REQUESTS, lake).alias("r").merge(
        audit.alias("n"), "r.request_id = n.request_id"
    ).whenNotMatchedInsertAll().execute()
    consent = storage.ensure_table(spark, CONSENT, lake)
    rows = [
        {
            "subject_key": subject_hash(key, subject),
            "subject_kind": kind,
            "state": STATE_OF_ACTION.get(request.action, OPTED_OUT),
            "since": request.requested_at,
            "request_id": request.request_id,
        }
        for kind, subject in identity.subjects()
    ]
    changes = spark.createDataFrame(rows, CONSENT.schema).alias("n")
    merge = consent.alias("c").merge(changes, "c.subject_key = n.subject_key AND c.state = n.state")
    if request.action == "opt_in":
        merge.whenMatchedDelete().execute()  # the opt-out is lifted
        # and the opt-in kept: under `[privacy] publish = "opt_in"` only persons holding it are published
        opted_in = spark.createDataFrame([{**row, "state": OPTED_IN} for row in rows], CONSENT.schema).alias("n")
        consent.alias("c").merge(
            opted_in, "c.subject_key = n.subject_key AND c.state = n.state"
        ).whenNotMatchedInsertAll().execute()
    else:
        merge.whenNotMatchedInsertAll().execute()


def is_recorded(spark: SparkSession, config: Config, request_id: str) -> bool:
    lake = config.lake_location
    if not storage.exists(spark, GOVERNANCE_REQUESTS, lake):
        return False
    return not storage.read(spark, GOVERNANCE_REQUESTS, lake).filter(F.col("request_id") == request_id).isEmpty()


def is_erasure_complete(spark: SparkSession, config: Config, request_id: str) -> bool:
    """The erasure's purge ran to the end (its row in governance/erasures is written last)."""
    lake = config.lake_location
    if not storage.exists(spark, ERASURES, lake):
        return False
    return not storage.read(spark, ERASURES, lake).filter(F.col("request_id") == request_id).isEmpty()


def set_outcome(spark: SparkSession, config: Config, request_id: str, outcome: str, only_if: str | None = None) -> None:
    """The audit row's outcome, set (only when it is `only_if`, when given: no commit otherwise)."""
    rows = storage.read(spark, GOVERNANCE_REQUESTS, config.lake_location).filter(F.col("request_id") == request_id)
    if only_if is not None and rows.filter(F.col("outcome") == only_if).isEmpty():
        return
    storage.ensure_table(spark, GOVERNANCE_REQUESTS, config.lake_location).update(
        condition=F.col("request_id") == request_id, set={"outcome": F.lit(outcome)}
    )


def pending_erasures(spark: SparkSession, config: Config, identity: Identity, pending: str) -> list[str]:
    """Request ids of erasures of this person (any of their keys) still marked `pending` (a purge that failed)."""
    key = privacy_key(config)
    keys = [subject_hash(key, subject) for _, subject in identity.subjects()]
    rows = storage.read(spark, GOVERNANCE_REQUESTS, config.lake_location).filter(
        (F.col("action") == "erase") & (F.col("outcome") == pending) & F.col("subject_key").isin(keys)
    )
    return [row.request_id for row in rows.select("request_id").collect()]  # a few


def states_of(spark: SparkSession, config: Config, identity: Identity) -> list[str]:
    """The suppressing states recorded for any key of `identity` (sorted, distinct)."""
    key = privacy_key(config)
    keys = [subject_hash(key, subject) for _, subject in identity.subjects()]
    held = consent_table(spark, config).filter(F.col("subject_key").isin(keys) & F.col("state").isin(list(SUPPRESSING_STATES)))
    return sorted(row.state for row in held.select("state").distinct().collect())

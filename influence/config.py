"""One typed configuration object, read from an optional TOML file and overridden from outside it.

Precedence, lowest first: defaults < config file < environment (SPARK_MASTER, INFLUENCE_JARS_DIR, then
INFLUENCE__<SECTION>__<KEY>) < `--set key=value` < the flags --lake and --master. Unknown sections or keys,
wrong types, NaN, infinities and out-of-range numbers are errors, all reported together before any Spark
work, so a typo never silently falls back to a default. Every key is documented in docs/configuration.md.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from influence.errors import UsageError
from influence.location import LakeLocation
from influence.tables import NETWORKS

if TYPE_CHECKING:
    from transforms.connectors.registry import ConnectorOptions

# Environment variables of the form INFLUENCE__<SECTION>__<KEY> set any key (levels split by "__").
ENV_PREFIX = "INFLUENCE__"
# The levels SparkContext.setLogLevel accepts (in any case).
SPARK_LOG_LEVELS = ("ALL", "DEBUG", "ERROR", "FATAL", "INFO", "OFF", "TRACE", "WARN")
# Every integer key reaches Spark or Python's date arithmetic: at most Spark's (Java's) int.
MAX_INT = 2**31 - 1
# Day counts (windows, ages, retention) are bounded by a century, well inside Python's and Spark's dates.
MAX_DAYS = 36_525
# A JVM heap size as spark.driver.memory takes it: digits and a unit (-Xmx has no "b" and no default unit).
JVM_MEMORY = re.compile(r"(\d+)([kmgt])", re.IGNORECASE)
JVM_MEMORY_BYTES = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
# Spark refuses a driver with less than 1.5 x its 300 MiB of reserved memory.
MIN_DRIVER_MEMORY_BYTES = 512 * 2**20
# The master URLs Spark knows: local, local[N], local[*], local[N,F], local-cluster[N,C,M], yarn, and any
# scheme://... (spark://, k8s://, sc:// for Spark Connect, a custom cluster manager's).
SPARK_MASTER_URL = re.compile(
    r"local(\[\s*(\*|[1-9]\d*)\s*(,\s*\d+\s*)?\])?|local-cluster\[\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\]|yarn|[a-z][a-z0-9+.-]*://\S+"
)


@dataclass(frozen=True)
class SparkConfig:
    master: str = "local[*]"
    driver_memory: str = "4g"
    # Two cores: a handful of shuffle partitions beats Spark's default of 200 tiny tasks.
    shuffle_partitions: int = 4
    # A night gets one shuffle partition per this many landed bytes when that is more than shuffle_partitions,
    # so that a partition's rows fit in memory as the night grows; 0 keeps shuffle_partitions at any size.
    shuffle_partition_bytes: int = 128 * 1024 * 1024
    # Folder of pre-downloaded jars (air-gapped clusters); empty = resolve from Maven and cache.
    jars_dir: str = ""
    # Where checkpoints go; empty = <lake>/_checkpoints.
    checkpoint_dir: str = ""
    log_level: str = "WARN"
    # Spark's web UI shows every query's plan and the session's settings to whoever reaches the port: off
    # unless asked for (on a local master it listens on 127.0.0.1 only).
    ui_enabled: bool = False
    # Spark compiles each query's expressions to Java bytecode. A night is hundreds of small queries, where
    # compiling costs more than it saves (a 1,000-line night: 97 s instead of 128 s cold, bench/overhead.py),
    # so it is off by default; turn it on for nights of tens of millions of rows.
    codegen: bool = False


# transforms.connectors.snap.THIRD_FIELDS, named here so that a config is read without pyspark (tests/unit/test_config.py
# checks that the two agree)
SNAP_THIRD_FIELDS = ("auto", "weight", "time")


@dataclass(frozen=True)
class SnapConfig:
    # SNAP ids are anonymised per dataset, so they get a network of their own by default
    # instead of colliding with real Twitter ids.
    network: str = "snap"
    # A three-field line's third field (transforms/connectors/snap.py): "auto" reads nine or more digits as a
    # unix time and anything else as a weight; "weight" or "time" says it for every line.
    third_field: str = "auto"


PAGERANK_ENGINES = ("auto", "graphframes", "local")
VALIDATION_ENGINES = ("auto", "spark", "pandas")
PUBLISH_MODES = ("opt_out", "opt_in")


@dataclass(frozen=True)
class PageRankConfig:
    damping: float = 0.85
    # Stop once the ranks are within max_error (L1) of PageRank's fixed point, by the contraction bound
    # d / (1 - d) x the last L1 change (influence/pagerank.py). 0 = networkx's rule instead: stop when
    # the L1 change is below N * tolerance, which on large graphs stops far from the fixed point.
    max_error: float = 1e-4
    tolerance: float = 1e-6
    max_iterations: int = 100
    # "local": SciPy sparse power iteration in the driver; "graphframes": GraphFrames' Pregel API;
    # "auto": local up to local_max_edges edges, and no more than spark.driver_memory holds (influence.pagerank).
    # On 10M edges the local engine took 9.6 s and GraphFrames 43 s of set-up plus 8.3 s an iteration
    # (docs/model.md, "Centrality engines, measured").
    engine: str = "auto"
    local_max_edges: int = 10_000_000
    # Start from the last published night's ranks (new persons at 1/N): fewer iterations, the same fixed point.
    warm_start: bool = True


@dataclass(frozen=True)
class KindWeights:
    """How much one interaction of each kind counts, before decay. A reshare or a quote carries the
    post to a new audience; a reply or a mention engages without spreading it; a like or a follow
    costs nothing, so it is cheap to fake and counts least. SNAP edge lists carry no kind ("edge")."""

    reshare: float = 1.0
    quote: float = 1.0
    reply: float = 0.75
    mention: float = 0.5
    follow: float = 0.5
    like: float = 0.25
    edge: float = 1.0


@dataclass(frozen=True)
class TrustConfig:
    """Anti-gaming (docs/model.md#anti-gaming). Trust starts at seeds, persons who earned it by the seed
    rule below, and flows along engagement (TrustRank); a person's vote is the share of their rank their
    engagement passes on, the rest being spread like a dangling vertex's."""

    enabled: bool = True
    # The seed rule: a seed engaged at least seed_min_engaged distinct persons in the window, and was
    # first seen (as actor or target) at least seed_min_age_days before the end of the run date. When the
    # window holds nothing that old (a lake's first day, a source without times) age cannot tell anyone
    # apart, and diversity alone decides.
    seed_min_engaged: int = 2
    seed_min_age_days: float = 1.0
    # A person votes fully once the trust reaching them is this share of a seed's own teleport share;
    # less scales their vote down to untrusted_vote. A farm nobody trusted engages receives no trust.
    full_vote_trust: float = 0.05
    # The vote of a person no trust reaches (a fresh account, a ring engaged only by itself): 0, their
    # engagement counts for nothing and their rank is spread like the teleport.
    untrusted_vote: float = 0.0
    # Burst damping: on one day, engagement a person receives from new accounts (first seen less than
    # seed_min_age_days before the run's end) counts fully from up to max(burst_allowance, that person's
    # established engagers in the window) new accounts; a bigger flood is scaled down to that many.
    burst_allowance: int = 10


@dataclass(frozen=True)
class CommunitiesConfig:
    """Communities by label propagation on the night's interaction graph (influence/communities.py)."""

    enabled: bool = True
    # Label propagation's passes: labels settle in a few; more only lets large communities absorb small ones.
    max_iterations: int = 5
    # gold/communities: each community's highest-scored persons and its members' most held topics.
    top_persons: int = 5
    top_topics: int = 5


@dataclass(frozen=True)
class ModelConfig:
    """Every weight and threshold of the influence model (docs/model.md). Each score row records
    `version` and the hash of this section together with [pagerank] (`config_hash`)."""

    version: str = "3"
    # Interactions older than this many days before the end of the run date are left out; 0 = unbounded.
    window_days: int = 90
    # Exponential decay of an interaction's weight with its age; 0 = no decay.
    half_life_days: float = 30.0
    # false: every kind counts 1 (the source's own weight, e.g. a SNAP edge list's third column, still applies).
    use_kind_weights: bool = True
    kind_weights: KindWeights = field(default_factory=KindWeights)
    trust: TrustConfig = field(default_factory=TrustConfig)
    communities: CommunitiesConfig = field(default_factory=CommunitiesConfig)
    # Day-over-day smoothing: score = smoothing * today's score + (1 - smoothing) * the last published
    # score; 1 = no smoothing.
    smoothing: float = 0.5
    # The stored reference distribution the 1-100 scale is calibrated on; empty = the packaged one.
    reference_file: str = ""
    # The topic taxonomy matched against posts; empty = the packaged one.
    topics_file: str = ""
    top_topics: int = 5
    top_moments: int = 3
    # Moments in time (transforms/model/moments.py): a day is a moment when at least moment_min_engagers
    # persons engaged and (engagers - baseline) / sqrt(baseline + 1) >= moment_min_surprise.
    moment_min_engagers: int = 3
    moment_min_surprise: float = 3.0
    top_engagers: int = 5


@dataclass(frozen=True)
class ValidationConfig:
    # More malformed lines than this share of a file means the wrong dump landed: hold the night.
    max_quarantine_fraction: float = 0.05
    # Events stamped later than the end of the run date by more than this are implausible.
    future_tolerance_hours: int = 24
    # Run over run, against the published profiles (skipped on the first publish and for backfills):
    # staged rows / published rows must lie in [min_row_ratio, max_row_ratio] (0.8: a night may not lose
    # more than 20% of the published accounts) ...
    min_row_ratio: float = 0.8
    max_row_ratio: float = 10.0
    # ... and the mean score, and its median and 90th percentile, may not move by more than these points.
    max_mean_score_shift: float = 15.0
    max_quantile_shift: float = 20.0
    # Where GX computes a suite's metrics: "spark" (a Spark query per metric domain, about ten a suite),
    # "pandas" (the checked columns fetched once through Arrow, then GX's pandas engine in the driver) or
    # "auto": pandas up to driver_max_rows rows, else Spark. Under both, an empty frame whose suite checks a sum
    # goes to Spark (expectations.runner.AGGREGATE_EXPECTATIONS).
    engine: str = "auto"
    driver_max_rows: int = 500_000


@dataclass(frozen=True)
class PrivacyConfig:
    """docs/privacy.md. Governance requests are stored by a keyed hash (HMAC-SHA256) of the identifier."""

    # The secret key of those hashes: 32+ random bytes, created for a new lake (mode 0600). Empty: the file
    # <lake>/governance/_key. Keep it out of the lake in production; the INFLUENCE_PRIVACY_KEY environment
    # variable, when set, wins over both. An absolute path; the lake refuses any other key (docs/privacy.md).
    key_file: str = ""
    # Raw bronze lines (and quarantined lines) of run dates older than this many days are deleted and
    # vacuumed nightly; 0 = the scoring window plus 30 days.
    retention_days: int = 0
    # Who is published: "opt_out" (everyone but those who opted out, were erased or are minors) or "opt_in"
    # (only persons who sent an opt-in request). Everyone is scored either way (docs/privacy.md#consent-first).
    publish: str = "opt_out"


@dataclass(frozen=True)
class LandingConfig:
    """What the nightly accepts in its landing folder DIR/<source>/<files> (docs/pipeline.md#landing)."""

    # A line longer than this (in bytes) is quarantined with reason line_too_long instead of parsed.
    max_line_bytes: int = 16 * 2**20
    # A JSON source's file may hold JSON documents (an array of records, indented objects) instead of JSON
    # lines; its records are held in the driver's memory while they are ingested, so a document over this many
    # bytes of text stops the night before anything is written (split it into JSON lines instead).
    max_document_bytes: int = 2**30
    # false: a folder that names no connector stops the night (exit 2), since its files would be lost
    # silently; true: such folders are skipped with a warning.
    ignore_unknown_sources: bool = False


@dataclass(frozen=True)
class SilverConfig:
    """What silver keeps, so that a night reads what is new and its window, never all history
    (docs/pipeline.md#incremental-nights)."""

    # Interactions landed on run dates older than this many days, and posts last seen before then, are
    # deleted nightly (their files leave at a housekeeping VACUUM), and a night deduplicates and resolves
    # replies against no older run date.
    # 0 = the scoring window plus 30 days (the window unbounded: keep everything).
    retention_days: int = 0


@dataclass(frozen=True)
class StorageConfig:
    """Where an object-store lake keeps its operational files, and how Spark reaches the store
    (docs/operations.md#object-store-lakes). Credentials never go here: S3A reads AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY (or an instance profile) from the environment."""

    # Local folder under which each s3a:// lake keeps its lease, run progress, reports and validation results, in
    # <ops_dir>/<scheme>/<bucket>/<prefix> (a local lake keeps them in its own folder and ignores this). Empty =
    # <cache>/lakes. Share it between the machines that write the lake.
    ops_dir: str = ""
    # An S3-compatible endpoint (MinIO, Ceph, a test server), e.g. "http://127.0.0.1:9000"; empty = AWS.
    s3a_endpoint: str = ""
    s3a_region: str = ""
    # Bucket in the path (http://host/bucket/key) instead of the host name: what most S3-compatible servers need.
    s3a_path_style_access: bool = False


@dataclass(frozen=True)
class HousekeepingConfig:
    """What the lake keeps of its past (docs/operations.md#housekeeping). Housekeeping runs inside a night
    every_days days after the last one, or now with `influence housekeeping`; it holds the writer's lease."""

    every_days: int = 7  # 0 = never inside a night (only `influence housekeeping`)
    # Table versions readers may still time-travel to: files only older versions use are deleted
    # (VACUUM RETAIN). Delta's own safety horizon is 168 hours; less is allowed, on purpose.
    keep_versions_hours: int = 168
    # Great Expectations validation results and their Data Docs pages older than this are deleted.
    keep_validations_days: int = 90


@dataclass(frozen=True)
class Config:
    lake: str = "./lakehouse"
    spark: SparkConfig = field(default_factory=SparkConfig)
    landing: LandingConfig = field(default_factory=LandingConfig)
    snap: SnapConfig = field(default_factory=SnapConfig)
    pagerank: PageRankConfig = field(default_factory=PageRankConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    silver: SilverConfig = field(default_factory=SilverConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    housekeeping: HousekeepingConfig = field(default_factory=HousekeepingConfig)

    @property
    def lake_location(self) -> LakeLocation:
        """The lake's tables (a local path or a URI) and its local ops folder (influence/location.py)."""
        return LakeLocation.parse(self.lake, self.storage.ops_dir)

    @property
    def checkpoint_path(self) -> Path:
        if self.spark.checkpoint_dir:
            return Path(self.spark.checkpoint_dir).expanduser().resolve()
        return self.lake_location.ops / "_checkpoints"

    @property
    def privacy_key_path(self) -> Path:
        if self.privacy.key_file:
            return Path(self.privacy.key_file).expanduser().resolve()
        return self.lake_location.ops / "governance" / "_key"

    @property
    def bronze_retention_days(self) -> int:
        """0 in the config: the scoring window plus 30 days (the window unbounded: keep everything, 0)."""
        if self.privacy.retention_days:
            return self.privacy.retention_days
        return self.model.window_days + 30 if self.model.window_days else 0

    @property
    def silver_retention_days(self) -> int:
        """0 in the config: the scoring window plus 30 days, and never less than the run dates the window can
        have landed on (the window unbounded: keep everything, 0)."""
        if self.silver.retention_days:
            return self.silver.retention_days
        return max(self.model.window_days + 30, self.window_landing_days) if self.model.window_days else 0

    @property
    def window_landing_days(self) -> int:
        """How many run dates back an interaction of the scoring window can have landed (0: unbounded). Silver
        stores nothing that occurred later than the end of its run date plus validation.future_tolerance_hours,
        so an interaction of the window's first instant landed at most that tolerance (in whole days) earlier."""
        if not self.model.window_days:
            return 0
        return self.model.window_days + math.ceil(self.validation.future_tolerance_hours / 24)

    @property
    def connector_options(self) -> ConnectorOptions:
        """What the connectors take from the configuration (the `[snap]` section)."""
        # imported here: the registry brings every connector and pyspark, which the config's readers
        # without Spark (influence generate) do not need
        from transforms.connectors.registry import ConnectorOptions

        return ConnectorOptions(snap_network=self.snap.network, snap_third_field=self.snap.third_field)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    def with_spark(self, **changes: Any) -> Config:
        return dataclasses.replace(self, spark=dataclasses.replace(self.spark, **changes))


@dataclass(frozen=True)
class Override:
    """One key set from outside the config file: an environment variable, a `--set`, or a flag."""

    path: tuple[str, ...]
    text: str
    origin: str
    # False: the text is the value as it is (the flags, SPARK_MASTER, INFLUENCE_JARS_DIR); True: a TOML value.
    is_toml: bool = True


def _key(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _defaults(cls: type) -> dict[str, Any]:
    instance = cls()
    return {f.name: getattr(instance, f.name) for f in fields(cls)}


def _unknown_keys_problem(unknown: Sequence[str], where: str, known: Mapping[str, Any]) -> str:
    table = f"in [{where}]" if where else "at the top level"
    return f"unknown key(s) {', '.join(unknown)} {table} (known keys: {', '.join(known)})"


def _build(cls: type, values: Mapping[str, Any], where: str, problems: list[str]) -> Any:
    """Build dataclass `cls` from a TOML table, adding a problem for every unknown key and wrong value.
    A refused value is left at its default, so the checks can go on and report everything at once."""
    known = _defaults(cls)
    unknown = sorted(set(values) - set(known))
    if unknown:
        problems.append(_unknown_keys_problem(unknown, where, known))
    kwargs = {}
    for name, value in values.items():
        if name not in known:
            continue
        default, key = known[name], _key(where, name)
        if dataclasses.is_dataclass(default):
            if isinstance(value, dict):
                kwargs[name] = _build(type(default), value, key, problems)
            else:
                problems.append(f"[{key}] must be a table, got {value!r}")
            continue
        kwargs[name] = _checked_value(value, default, key, problems)
    return cls(**kwargs)


def _checked_value(value: Any, default: Any, key: str, problems: list[str]) -> Any:
    """`value` in the type of `default` (an int is taken for a float), or `default` with a problem added."""
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = _as_float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        problems.append(f"{key} must be {expected.__name__}, got {value!r}")
        return default
    if expected is float and not math.isfinite(value):
        problems.append(f"{key} must be a finite number, got {value}")
        return default
    if expected is int and value > MAX_INT:
        problems.append(f"{key} must be at most {MAX_INT}, got {value}")
        return default
    return value


def _as_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:  # beyond a double: as infinite as a float can be
        return math.inf if value > 0 else -math.inf


def parse_value_text(text: str) -> Any:
    """A `--set` or INFLUENCE__ value read as a TOML value (`1e-4`, `true`, `"text"`, `[1, 2]`); text that
    is not one TOML value is taken as a string, so `--set pagerank.engine=local` needs no quotes."""
    try:
        parsed = tomllib.loads(f"value = {text}")
    except tomllib.TOMLDecodeError:
        return text
    return parsed["value"] if list(parsed) == ["value"] else text


def _override_value(override: Override, default: Any) -> Any:
    if not override.is_toml:
        return override.text
    value = parse_value_text(override.text)
    # A string key takes the text as it is unless it is a quoted TOML string: model.version=3 means "3".
    if isinstance(default, str) and not isinstance(value, str):
        return override.text
    return value


def _default_at(override: Override, problems: list[str]) -> Any | None:
    """The default value (or table) at the override's key path, or None with a problem when there is none."""
    if not all(override.path):
        problems.append(f"{override.origin}: no key named (SECTION.KEY, e.g. pagerank.engine)")
        return None
    cls, where = Config, ""
    for depth, name in enumerate(override.path):
        known = _defaults(cls)
        if name not in known:
            problems.append(f"{override.origin}: {_unknown_keys_problem([name], where, known)}")
            return None
        default = known[name]
        if depth == len(override.path) - 1:
            return default
        if not dataclasses.is_dataclass(default):
            problems.append(f"{override.origin}: {_key(where, name)} is a value, not a table")
            return None
        cls, where = type(default), _key(where, name)
    return None


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for name, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = _merged(merged[name], value)
        else:
            merged[name] = value
    return merged


def _set_at(values: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    table = values
    for name in path[:-1]:
        table = table.setdefault(name, {})
        if not isinstance(table, dict):
            return  # the file has a value where a table belongs: _build refuses it
    if isinstance(value, dict) and isinstance(table.get(path[-1]), dict):
        table[path[-1]] = _merged(table[path[-1]], value)
    else:
        table[path[-1]] = value


def _apply_override(values: dict[str, Any], override: Override, problems: list[str]) -> None:
    """Set the override's key in the merged TOML tables, or add a problem naming where it came from."""
    default = _default_at(override, problems)
    if default is None:
        return
    value = _override_value(override, default)
    if not dataclasses.is_dataclass(default):  # a whole table (--set model.trust={...}) is checked by _build
        refused: list[str] = []
        value = _checked_value(value, default, ".".join(override.path), refused)
        if refused:
            problems.extend(f"{override.origin}: {problem}" for problem in refused)
            return
    _set_at(values, override.path, value)


def _environment_overrides(environ: Mapping[str, str]) -> list[Override]:
    """SPARK_MASTER and INFLUENCE_JARS_DIR as they are, then every INFLUENCE__<SECTION>__<KEY> (any case)."""
    overrides = [
        Override(path, environ[name], f"environment variable {name}", is_toml=False)
        for name, path in (("SPARK_MASTER", ("spark", "master")), ("INFLUENCE_JARS_DIR", ("spark", "jars_dir")))
        if environ.get(name)
    ]
    for name in sorted(environ):
        if name.upper().startswith(ENV_PREFIX):
            path = tuple(name[len(ENV_PREFIX) :].lower().split("__"))
            overrides.append(Override(path, environ[name], f"environment variable {name}"))
    return overrides


def _set_overrides(assignments: Sequence[str], problems: list[str]) -> list[Override]:
    overrides = []
    for assignment in assignments:
        key, equals, text = assignment.partition("=")
        if not equals:
            problems.append(f"--set {assignment}: expected KEY=VALUE, e.g. pagerank.engine=local")
            continue
        overrides.append(Override(tuple(key.strip().split(".")), text, f"--set {assignment}"))
    return overrides


def _flag_overrides(lake: str | None, master: str | None) -> list[Override]:
    flags = ((("lake",), lake, "--lake"), (("spark", "master"), master, "--master"))
    return [Override(path, value, origin, is_toml=False) for path, value, origin in flags if value is not None]


def _read_file(path: str | os.PathLike) -> dict[str, Any]:
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"config file {file} does not exist")
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"config file {file} is not valid TOML: {error}") from None


def driver_memory_bytes(text: str) -> int | None:
    """spark.driver_memory in bytes, or None when it is not a JVM heap size such as "4g" or "512m"."""
    match = JVM_MEMORY.fullmatch(text)
    return int(match.group(1)) * JVM_MEMORY_BYTES[match.group(2).lower()] if match else None


def _top_level_problems(config: Config) -> list[str]:
    problems = []
    try:
        LakeLocation.parse(config.lake, config.storage.ops_dir)
    except UsageError as error:
        problems.append(str(error))
    endpoint = config.storage.s3a_endpoint
    if endpoint and not re.fullmatch(r"https?://[^/\s]+/?", endpoint):
        problems.append(f"storage.s3a_endpoint must be http(s)://HOST[:PORT], got {endpoint!r}")
    for name in ("every_days", "keep_validations_days"):
        if not 0 <= getattr(config.housekeeping, name) <= MAX_DAYS:
            problems.append(f"housekeeping.{name} must be in [0, {MAX_DAYS}], got {getattr(config.housekeeping, name)}")
    if not 0 <= config.housekeeping.keep_versions_hours <= MAX_DAYS * 24:
        problems.append(
            f"housekeeping.keep_versions_hours must be in [0, {MAX_DAYS * 24}], got {config.housekeeping.keep_versions_hours}"
        )
    if config.landing.max_line_bytes < 1024:
        problems.append(f"landing.max_line_bytes must be >= 1024, got {config.landing.max_line_bytes}")
    if config.landing.max_document_bytes < 1:
        problems.append(f"landing.max_document_bytes must be >= 1, got {config.landing.max_document_bytes}")
    if config.snap.network not in NETWORKS:
        problems.append(f"snap.network must be one of {', '.join(NETWORKS)}, got {config.snap.network!r}")
    if config.snap.third_field not in SNAP_THIRD_FIELDS:
        problems.append(f"snap.third_field must be one of {', '.join(SNAP_THIRD_FIELDS)}, got {config.snap.third_field!r}")
    return problems


def _spark_problems(spark: SparkConfig) -> list[str]:
    problems = []
    if not SPARK_MASTER_URL.fullmatch(spark.master):
        problems.append(
            f"spark.master must be a Spark master URL (local[*], local[N], spark://HOST:PORT, ...), got {spark.master!r}"
        )
    memory = driver_memory_bytes(spark.driver_memory)
    if memory is None or memory < MIN_DRIVER_MEMORY_BYTES:
        problems.append(f"spark.driver_memory must be a JVM size of at least 512m, e.g. 4g or 512m, got {spark.driver_memory!r}")
    if spark.shuffle_partitions < 1:
        problems.append(f"spark.shuffle_partitions must be >= 1, got {spark.shuffle_partitions}")
    if spark.shuffle_partition_bytes < 0:
        problems.append(f"spark.shuffle_partition_bytes must be >= 0 (0: no sizing), got {spark.shuffle_partition_bytes}")
    if spark.log_level.upper() not in SPARK_LOG_LEVELS:
        problems.append(f"spark.log_level must be one of {', '.join(SPARK_LOG_LEVELS)}, got {spark.log_level!r}")
    return problems


def _pagerank_problems(pagerank: PageRankConfig) -> list[str]:
    problems = []
    if not 0.0 < pagerank.damping < 1.0:
        problems.append(f"pagerank.damping must be in (0, 1), got {pagerank.damping}")
    if not 0.0 < pagerank.tolerance < 1.0:
        problems.append(f"pagerank.tolerance must be in (0, 1), got {pagerank.tolerance}")
    if not 0 <= pagerank.max_error < 1:
        problems.append(f"pagerank.max_error must be in [0, 1) (0 = networkx's rule), got {pagerank.max_error}")
    if pagerank.max_iterations < 1:
        problems.append(f"pagerank.max_iterations must be >= 1, got {pagerank.max_iterations}")
    if pagerank.engine not in PAGERANK_ENGINES:
        problems.append(f"pagerank.engine must be one of {', '.join(PAGERANK_ENGINES)}, got {pagerank.engine!r}")
    if pagerank.local_max_edges < 0:
        problems.append(f"pagerank.local_max_edges must be >= 0, got {pagerank.local_max_edges}")
    return problems


def _validation_problems(validation: ValidationConfig) -> list[str]:
    problems = []
    if not 0.0 <= validation.max_quarantine_fraction <= 1.0:
        problems.append(f"validation.max_quarantine_fraction must be in [0, 1], got {validation.max_quarantine_fraction}")
    if not 0 <= validation.future_tolerance_hours <= MAX_DAYS * 24:
        problems.append(
            f"validation.future_tolerance_hours must be in [0, {MAX_DAYS * 24}], got {validation.future_tolerance_hours}"
        )
    if not 0.0 <= validation.min_row_ratio <= 1.0:
        problems.append(f"validation.min_row_ratio must be in [0, 1], got {validation.min_row_ratio}")
    if validation.max_row_ratio < 1.0:
        problems.append(f"validation.max_row_ratio must be >= 1, got {validation.max_row_ratio}")
    for name in ("max_mean_score_shift", "max_quantile_shift"):
        if not 0.0 <= getattr(validation, name) <= 99.0:
            problems.append(f"validation.{name} must be in [0, 99] score points, got {getattr(validation, name)}")
    if validation.engine not in VALIDATION_ENGINES:
        problems.append(f"validation.engine must be one of {', '.join(VALIDATION_ENGINES)}, got {validation.engine!r}")
    if validation.driver_max_rows < 0:
        problems.append(f"validation.driver_max_rows must be >= 0, got {validation.driver_max_rows}")
    return problems


def _model_problems(model: ModelConfig) -> list[str]:
    problems = [] if model.version.strip() else ["model.version must not be empty"]
    if not 0 <= model.window_days <= MAX_DAYS:
        problems.append(f"model.window_days must be in [0, {MAX_DAYS}] (0 = unbounded), got {model.window_days}")
    if not 0 <= model.half_life_days <= MAX_DAYS:
        problems.append(f"model.half_life_days must be >= 0 and at most {MAX_DAYS} (0 = no decay), got {model.half_life_days}")
    for kind, weight in dataclasses.asdict(model.kind_weights).items():
        if not weight > 0:
            problems.append(f"model.kind_weights.{kind} must be > 0, got {weight}")
    if not 0.0 < model.smoothing <= 1.0:
        problems.append(f"model.smoothing must be in (0, 1], got {model.smoothing}")
    if model.moment_min_engagers < 1:
        problems.append(f"model.moment_min_engagers must be >= 1, got {model.moment_min_engagers}")
    if model.moment_min_surprise < 0:
        problems.append(f"model.moment_min_surprise must be >= 0, got {model.moment_min_surprise}")
    for name in ("top_topics", "top_moments", "top_engagers"):
        if getattr(model, name) < 0:
            problems.append(f"model.{name} must be >= 0, got {getattr(model, name)}")
    for name in ("reference_file", "topics_file"):
        if getattr(model, name) and not Path(getattr(model, name)).expanduser().is_file():
            problems.append(f"model.{name}: {getattr(model, name)} does not exist")
    return problems


def _trust_problems(model: ModelConfig) -> list[str]:
    trust, problems = model.trust, []
    if not 0.0 < trust.full_vote_trust <= 1.0:
        problems.append(f"model.trust.full_vote_trust must be in (0, 1], got {trust.full_vote_trust}")
    if not 0.0 <= trust.untrusted_vote <= 1.0:
        problems.append(f"model.trust.untrusted_vote must be in [0, 1], got {trust.untrusted_vote}")
    if trust.seed_min_engaged < 1:
        problems.append(f"model.trust.seed_min_engaged must be >= 1, got {trust.seed_min_engaged}")
    age_limit = model.window_days or MAX_DAYS
    if not 0 <= trust.seed_min_age_days < age_limit:
        problems.append(
            f"model.trust.seed_min_age_days must be >= 0 and below model.window_days (or {MAX_DAYS} when it is 0), "
            f"got {trust.seed_min_age_days}"
        )
    if trust.burst_allowance < 1:
        problems.append(f"model.trust.burst_allowance must be >= 1, got {trust.burst_allowance}")
    return problems


def _communities_problems(communities: CommunitiesConfig) -> list[str]:
    problems = []
    for name in ("max_iterations", "top_persons", "top_topics"):
        if getattr(communities, name) < 1:
            problems.append(f"model.communities.{name} must be >= 1, got {getattr(communities, name)}")
    return problems


def _privacy_problems(config: Config) -> list[str]:
    retention, window = config.privacy.retention_days, config.model.window_days
    problems = []
    key_file = config.privacy.key_file.strip()
    if key_file and not Path(key_file).expanduser().is_absolute():
        problems.append(
            f"privacy.key_file must be an absolute path, got {key_file!r}: a relative one names another file "
            "under cron than in a shell"
        )
    if config.privacy.publish not in PUBLISH_MODES:
        problems.append(f"privacy.publish must be one of {', '.join(PUBLISH_MODES)}, got {config.privacy.publish!r}")
    if not 0 <= retention <= MAX_DAYS:
        problems.append(f"privacy.retention_days must be in [0, {MAX_DAYS}] (0 = window + 30 days), got {retention}")
    if retention and window and retention < window:
        problems.append(
            f"privacy.retention_days ({retention}) must cover model.window_days ({window}): "
            "the nightly rescoring reads the window's silver, rebuilt from bronze on a rerun"
        )
    return problems


def _silver_problems(config: Config) -> list[str]:
    retention, window = config.silver.retention_days, config.model.window_days
    if not 0 <= retention <= MAX_DAYS:
        return [f"silver.retention_days must be in [0, {MAX_DAYS}] (0 = window + 30 days), got {retention}"]
    if retention and not window:
        return [
            f"silver.retention_days ({retention}) needs a bounded model.window_days: an unbounded window scores "
            "every stored interaction, so silver must keep them all (set silver.retention_days = 0)"
        ]
    if config.silver_retention_days and config.silver_retention_days < config.window_landing_days:
        return [
            f"silver retention ({config.silver_retention_days} days) must cover the run dates the scoring window can "
            f"have landed on ({config.window_landing_days}: model.window_days {window} plus "
            f"validation.future_tolerance_hours {config.validation.future_tolerance_hours} in whole days); raise "
            "silver.retention_days"
        ]
    return []


def _range_problems(config: Config) -> list[str]:
    return [
        *_top_level_problems(config),
        *_spark_problems(config.spark),
        *_pagerank_problems(config.pagerank),
        *_validation_problems(config.validation),
        *_model_problems(config.model),
        *_trust_problems(config.model),
        *_communities_problems(config.model.communities),
        *_privacy_problems(config),
        *_silver_problems(config),
    ]


def load_config(
    path: str | os.PathLike | None = None,
    *,
    overrides: Sequence[str] = (),
    lake: str | None = None,
    master: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Defaults < config file < environment < `overrides` ("key=value", as `--set`) < lake and master.

    Every problem (unknown key, wrong type, NaN or infinite number, value out of range) is collected and
    raised as one UsageError naming each key; nothing here starts Spark or touches the lake."""
    environ = os.environ if environ is None else environ
    file_values = _read_file(path) if path is not None else {}
    problems: list[str] = []
    _build(Config, file_values, "", problems)  # the file on its own: a bad key is refused even if overridden
    values = copy.deepcopy(file_values)
    outside = [*_environment_overrides(environ), *_set_overrides(overrides, problems), *_flag_overrides(lake, master)]
    for override in outside:
        _apply_override(values, override, problems)
    config = _build(Config, values, "", problems)
    problems += _range_problems(config)
    if problems:
        raise UsageError("config: " + "; ".join(dict.fromkeys(problems)))
    return config


def config_as_dict(config: Config) -> dict[str, Any]:
    return dataclasses.asdict(config)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
    return json.dumps(value).replace("\x7f", "\\u007f")


def _toml_lines(table: Mapping[str, Any], path: tuple[str, ...]) -> list[str]:
    lines = [f"[{'.'.join(path)}]"] if path else []
    lines += [f"{name} = {_toml_value(value)}" for name, value in table.items() if not isinstance(value, dict)]
    for name, value in table.items():
        if isinstance(value, dict):
            lines += ["", *_toml_lines(value, (*path, name))]
    return lines


def config_as_toml(config: Config) -> str:
    """The effective configuration as a TOML document, loadable again as a config file."""
    return "\n".join(_toml_lines(config_as_dict(config), ())) + "\n"

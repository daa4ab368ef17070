"""One typed configuration object, read from an optional TOML file and overridden by CLI flags.

Precedence: CLI flag > environment (SPARK_MASTER, INFLUENCE_JARS_DIR) > config file > defaults.
Unknown sections or keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from influence.errors import UsageError


@dataclass(frozen=True)
class SparkConfig:
    master: str = "local[*]"
    driver_memory: str = "4g"
    # Two cores: a handful of shuffle partitions beats Spark's default of 200 tiny tasks.
    shuffle_partitions: int = 4
    # Folder of pre-downloaded jars (air-gapped clusters); empty = resolve from Maven and cache.
    jars_dir: str = ""
    # Where checkpoints go; empty = <lake>/_checkpoints.
    checkpoint_dir: str = ""
    log_level: str = "WARN"
    ui_enabled: bool = True


@dataclass(frozen=True)
class SnapConfig:
    # SNAP ids are anonymised per dataset, so they get a network of their own by default
    # instead of colliding with real Twitter ids.
    network: str = "snap"


PAGERANK_ENGINES = ("auto", "graphframes", "local")


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
    # "auto": local up to local_max_edges edges (the edge and vertex arrays then fit the driver easily).
    engine: str = "auto"
    local_max_edges: int = 2_000_000
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

    version: str = "2"
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


@dataclass(frozen=True)
class PrivacyConfig:
    """docs/privacy.md. Governance requests are stored by a keyed hash (HMAC-SHA256) of the identifier."""

    # The secret key of those hashes: 32+ random bytes, created on first use (mode 0600). Empty: the file
    # <lake>/governance/_key. Keep it out of the lake in production; the INFLUENCE_PRIVACY_KEY environment
    # variable, when set, wins over both.
    key_file: str = ""
    # Raw bronze lines (and quarantined lines) of run dates older than this many days are deleted and
    # vacuumed nightly; 0 = the scoring window plus 30 days.
    retention_days: int = 0


@dataclass(frozen=True)
class Config:
    lake: str = "./lakehouse"
    spark: SparkConfig = field(default_factory=SparkConfig)
    snap: SnapConfig = field(default_factory=SnapConfig)
    pagerank: PageRankConfig = field(default_factory=PageRankConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)

    @property
    def lake_path(self) -> Path:
        return Path(self.lake).expanduser().resolve()

    @property
    def checkpoint_path(self) -> Path:
        if self.spark.checkpoint_dir:
            return Path(self.spark.checkpoint_dir).expanduser().resolve()
        return self.lake_path / "_checkpoints"

    @property
    def privacy_key_path(self) -> Path:
        if self.privacy.key_file:
            return Path(self.privacy.key_file).expanduser().resolve()
        return self.lake_path / "governance" / "_key"

    @property
    def bronze_retention_days(self) -> int:
        """0 in the config: the scoring window plus 30 days (the window unbounded: keep everything, 0)."""
        if self.privacy.retention_days:
            return self.privacy.retention_days
        return self.model.window_days + 30 if self.model.window_days else 0

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    def with_spark(self, **changes: Any) -> Config:
        return dataclasses.replace(self, spark=dataclasses.replace(self.spark, **changes))


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    """Build dataclass `cls` from a TOML table, refusing unknown keys and wrong types."""
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise UsageError(f"config: unknown key(s) {', '.join(unknown)} in [{where}]; known keys: {', '.join(known)}")
    kwargs = {}
    for name, value in values.items():
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise UsageError(f"config: [{where}.{name}] must be a table")
            kwargs[name] = _build(type(default), value, f"{where}.{name}".lstrip("."))
            continue
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise UsageError(f"config: {where + '.' if where else ''}{name} must be {expected.__name__}, got {value!r}")
        kwargs[name] = value
    return cls(**kwargs)


def _check_ranges(config: Config) -> None:
    problems = []
    if not 0.0 < config.pagerank.damping < 1.0:
        problems.append(f"pagerank.damping must be in (0, 1), got {config.pagerank.damping}")
    if config.pagerank.tolerance <= 0:
        problems.append(f"pagerank.tolerance must be > 0, got {config.pagerank.tolerance}")
    if not 0 <= config.pagerank.max_error < 1:
        problems.append(f"pagerank.max_error must be in [0, 1) (0 = networkx's rule), got {config.pagerank.max_error}")
    if config.pagerank.max_iterations < 1:
        problems.append(f"pagerank.max_iterations must be >= 1, got {config.pagerank.max_iterations}")
    if config.pagerank.engine not in PAGERANK_ENGINES:
        problems.append(f"pagerank.engine must be one of {', '.join(PAGERANK_ENGINES)}, got {config.pagerank.engine!r}")
    if config.pagerank.local_max_edges < 0:
        problems.append(f"pagerank.local_max_edges must be >= 0, got {config.pagerank.local_max_edges}")
    if config.spark.shuffle_partitions < 1:
        problems.append(f"spark.shuffle_partitions must be >= 1, got {config.spark.shuffle_partitions}")
    if not 0.0 <= config.validation.max_quarantine_fraction <= 1.0:
        problems.append("validation.max_quarantine_fraction must be in [0, 1]")
    if config.validation.future_tolerance_hours < 0:
        problems.append("validation.future_tolerance_hours must be >= 0")
    if not 0.0 <= config.validation.min_row_ratio <= 1.0:
        problems.append(f"validation.min_row_ratio must be in [0, 1], got {config.validation.min_row_ratio}")
    if config.validation.max_row_ratio < 1.0:
        problems.append(f"validation.max_row_ratio must be >= 1, got {config.validation.max_row_ratio}")
    for name in ("max_mean_score_shift", "max_quantile_shift"):
        if not 0.0 <= getattr(config.validation, name) <= 99.0:
            problems.append(f"validation.{name} must be in [0, 99] score points, got {getattr(config.validation, name)}")
    model = config.model
    if model.window_days < 0:
        problems.append(f"model.window_days must be >= 0 (0 = unbounded), got {model.window_days}")
    if model.half_life_days < 0:
        problems.append(f"model.half_life_days must be >= 0 (0 = no decay), got {model.half_life_days}")
    for kind, weight in dataclasses.asdict(model.kind_weights).items():
        if not weight > 0:
            problems.append(f"model.kind_weights.{kind} must be > 0, got {weight}")
    trust = model.trust
    if not 0.0 < trust.full_vote_trust <= 1.0:
        problems.append(f"model.trust.full_vote_trust must be in (0, 1], got {trust.full_vote_trust}")
    if not 0.0 <= trust.untrusted_vote <= 1.0:
        problems.append(f"model.trust.untrusted_vote must be in [0, 1], got {trust.untrusted_vote}")
    if trust.seed_min_engaged < 1:
        problems.append(f"model.trust.seed_min_engaged must be >= 1, got {trust.seed_min_engaged}")
    if trust.seed_min_age_days < 0 or (model.window_days and trust.seed_min_age_days >= model.window_days):
        problems.append(f"model.trust.seed_min_age_days must be >= 0 and below model.window_days, got {trust.seed_min_age_days}")
    if trust.burst_allowance < 1:
        problems.append(f"model.trust.burst_allowance must be >= 1, got {trust.burst_allowance}")
    if not 0.0 < model.smoothing <= 1.0:
        problems.append(f"model.smoothing must be in (0, 1], got {model.smoothing}")
    for name in ("top_topics", "top_moments", "top_engagers"):
        if getattr(model, name) < 0:
            problems.append(f"model.{name} must be >= 0, got {getattr(model, name)}")
    if model.communities.max_iterations < 1:
        problems.append(f"model.communities.max_iterations must be >= 1, got {model.communities.max_iterations}")
    for name in ("top_persons", "top_topics"):
        if getattr(model.communities, name) < 1:
            problems.append(f"model.communities.{name} must be >= 1, got {getattr(model.communities, name)}")
    if not model.version:
        problems.append("model.version must not be empty")
    for name in ("reference_file", "topics_file"):
        if getattr(model, name) and not Path(getattr(model, name)).expanduser().is_file():
            problems.append(f"model.{name}: {getattr(model, name)} does not exist")
    if config.privacy.retention_days < 0:
        problems.append(f"privacy.retention_days must be >= 0 (0 = window + 30 days), got {config.privacy.retention_days}")
    if config.privacy.retention_days and model.window_days and config.privacy.retention_days < model.window_days:
        problems.append(
            f"privacy.retention_days ({config.privacy.retention_days}) must cover model.window_days "
            f"({model.window_days}): the nightly rescoring reads the window's silver, rebuilt from bronze on a rerun"
        )
    if not config.snap.network:
        problems.append("snap.network must not be empty")
    if problems:
        raise UsageError("config: " + "; ".join(problems))


def load_config(
    path: str | os.PathLike | None = None,
    *,
    lake: str | None = None,
    master: str | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Defaults < config file < environment < explicit arguments."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise UsageError(f"config file {file} does not exist")
        try:
            values = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise UsageError(f"config file {file} is not valid TOML: {error}") from None
    config = _build(Config, values, "")
    if environ.get("SPARK_MASTER"):
        config = config.with_spark(master=environ["SPARK_MASTER"])
    if environ.get("INFLUENCE_JARS_DIR"):
        config = config.with_spark(jars_dir=environ["INFLUENCE_JARS_DIR"])
    if lake is not None:
        config = config.replace(lake=lake)
    if master is not None:
        config = config.with_spark(master=master)
    _check_ranges(config)
    return config

"""Validate: the staged scores (influence_scores suite), the profiles they would publish (nobody
suppressed) and, run over run, their drift against the published profiles. Nothing is published unless
every suite passes."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, functions as F

from expectations import (
    communities as communities_suite,
    influence_scores as scores_suite,
    profiles as profiles_suite,
    run_over_run as run_over_run_suite,
)
from expectations.runner import SuiteResult, Validator
from influence.config import Config
from influence.governance import ConsentSnapshot, privacy_key
from influence.model import config_hash
from influence.storage import Lake
from influence.tables import PROFILES, STAGED_SCORES
from stages.checks import require_passed
from stages.publish import publishable
from stages.result import StageResult
from transforms.model.communities import to_community_table
from transforms.model.scoring import to_profiles
from transforms.quality import to_run_over_run

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ValidateResult(StageResult):
    suites_passed: int
    run_over_run_skipped: bool
    skipped_because: str | None  # why run-over-run was skipped, if it was


def run_validator(config: Config, run_id: str) -> Validator:
    """A run's validator: results and Data Docs under the lake, metrics where `[validation]` says."""
    return Validator(config.lake_location, run_id, config.validation.engine, config.validation.driver_max_rows)


def compare_with_published(
    lake: Lake, config: Config, consent: ConsentSnapshot, run_date: dt.date, staged: DataFrame, validator: Validator
) -> tuple[list[SuiteResult], str | None]:
    """The run-over-run suite on the staged scores against gold/profiles, or no suite and the reason it was skipped."""
    published = lake.read_if_exists(PROFILES)
    latest = (
        published.agg(F.count(F.lit(1)).alias("rows"), F.max("as_of_date").alias("as_of_date")).first()  # one row
        if published is not None
        else None
    )
    if latest is None or latest.rows == 0:
        return [], "no published profiles to compare with (first publish)"
    if latest.as_of_date > run_date:
        return [], f"backfill: profiles are published as of the newer date {latest.as_of_date}"
    settings = config.validation
    parameters = {
        "min_row_ratio": settings.min_row_ratio,
        "max_row_ratio": settings.max_row_ratio,
        "max_mean_score_shift": settings.max_mean_score_shift,
        "max_quantile_shift": settings.max_quantile_shift,
    }
    # People suppressed since the last publish (opt-out, erasure, minor) leave on purpose: compare without them.
    expected = profiles_suite.with_suppression_flag(published, consent.frame, privacy_key(config)).filter(~F.col("suppressed"))
    comparison = to_run_over_run(staged, expected)
    return [validator.validate(comparison, run_over_run_suite.build_suite(), parameters)], None


def gold_suites(
    config: Config, consent: ConsentSnapshot, run_date: dt.date, staged: DataFrame, published: DataFrame, validator: Validator
) -> list[SuiteResult]:
    """The staged scores' own suite, the suite of the profiles they would publish (`published`: the staged
    rows that may be published) and, with communities on, the suite of the communities they would publish."""
    key = privacy_key(config)
    # under opt_in a night may publish nobody yet; under opt_out an empty night is a broken one
    min_rows = 0 if config.privacy.publish == "opt_in" else 1
    return [
        *community_suites(config, run_date, published, validator, min_rows),
        validator.validate(
            scores_suite.with_checked_columns(staged),
            scores_suite.build_suite(),
            {
                "run_dates": [run_date.isoformat()],
                "model_versions": [config.model.version],
                "config_hashes": [config_hash(config)],
            },
        ),
        validator.validate(
            profiles_suite.with_suppression_flag(to_profiles(published, key), consent.frame, key),
            profiles_suite.build_suite(),
            {"as_of_dates": [run_date.isoformat()], "min_rows": min_rows},
        ),
    ]


def community_suites(
    config: Config, run_date: dt.date, published: DataFrame, validator: Validator, min_rows: int
) -> list[SuiteResult]:
    settings = config.model.communities
    if not settings.enabled:
        return []
    members = published.filter(F.col("community_id").isNotNull()).count()
    communities = to_community_table(published, settings.top_persons, settings.top_topics)
    return [
        validator.validate(
            communities_suite.with_checked_columns(communities),
            communities_suite.build_suite(),
            {"persons": members, "as_of_dates": [run_date.isoformat()], "min_rows": min_rows},
        )
    ]


def validate_staged(
    lake: Lake, config: Config, consent: ConsentSnapshot, run_date: dt.date, validator: Validator
) -> ValidateResult:
    # The staged rows are read once and kept in memory: every suite computes many metrics over them.
    staged = lake.read(STAGED_SCORES).cache()
    published = publishable(config, consent, staged)
    try:
        # run over run first: when every suite passes, the run's Data Docs page is the gold suite's (the last)
        compared, skipped = compare_with_published(lake, config, consent, run_date, published, validator)
        if skipped:
            log.info("validate: run-over-run checks skipped: %s", skipped)
        passed = require_passed([*compared, *gold_suites(config, consent, run_date, staged, published, validator)], "gold")
    finally:
        staged.unpersist()
    return ValidateResult(suites_passed=len(passed), run_over_run_skipped=bool(skipped), skipped_because=skipped)

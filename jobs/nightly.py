"""influence nightly: landing -> bronze -> silver -> graph -> score -> validate -> publish.

Each stage is a module of stages/ that takes what it needs and returns a frozen result (its counts and
seconds, and the frames the next stage needs); `RunRecord.run` times it and keeps it for the run log.

  governance  privacy requests landed in DIR/governance (opt-out, opt-in, erase, minor), applied first
  bronze      raw lines of every landed file, appended once per (date, file); a changed file replaces its lines
  retention   raw lines, quarantine, silver interactions and posts past their horizons deleted and vacuumed
  silver      lines classified by their connector: interactions, posts, accounts, quarantine with reasons
  consent     opted-out, erased and minor persons left out of what the model sees
  graph       the window's interactions, model-weighted (kind x decay) -> person edges (self-loops dropped)
  trust       seeds by the seed rule -> TrustRank -> each person's vote, and burst discounts (anti-gaming)
  pagerank    weighted PageRank (networkx semantics, votes applied), warm-started from the last published night
  communities label propagation on the same graph -> each person's community
  enrich      calibrated score 1-100 (smoothed), sub-scores, explanation, topics, moments, community
  scores      the candidate rows -> staging/influence_scores
  validate    the staged scores, the profiles and communities they would publish and, run over run, the published profiles
  publish     score history for the date, then profiles in one MERGE and communities replaced (only if no
              newer date is published)
  housekeeping  every [housekeeping] every_days: tables vacuumed, old validation results and pages deleted
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import SparkSession

from expectations.runner import Validator
from influence.config import Config
from influence.governance import Request
from influence.runlog import RunRecord
from influence.session import shuffles_sized
from influence.storage import Lake
from stages import bronze, governance, housekeeping, publish, retention, score, silver, validate
from stages.landing import LandedFile, landed_bytes


@dataclass(frozen=True)
class NightlyOutcome:
    profiles_published: bool
    profile_count: int
    profiles_version: int | None
    message: str


def run_nightly(
    spark: SparkSession,
    config: Config,
    run_date: dt.date,
    landed: list[LandedFile],
    record: RunRecord,
    validator: Validator | None = None,
    requests: Sequence[Request] = (),
) -> NightlyOutcome:
    """`validator` (default: one writing Data Docs under the lake) keeps the night's results and pages;
    `requests`: the governance requests landed with the night (influence.governance), applied first."""
    lake = Lake(spark, config.lake_location)
    validator = validator if validator is not None else validate.run_validator(config, record.run_id)
    # a night larger than the session was sized for gets more shuffle partitions (silver's counts say how many)
    with shuffles_sized(spark, config, landed_bytes(landed)) as shuffle_partitions:
        consent = record.run("governance", governance.apply_requests, spark, config, requests).consent
        landed_lines = record.run("bronze", bronze.ingest, lake, landed, record.run_id, run_date, validator)
        record.run("retention", retention.expire, lake, config, run_date)
        conformed = record.run(
            "silver",
            silver.build,
            lake,
            config,
            consent,
            run_date,
            record.run_id,
            landed_lines.night_lines,
            validator,
            shuffle_partitions=shuffle_partitions,
        )
        record.reconciliation = list(conformed.reconciliation)

        inputs = record.run("consent", score.read_consented, lake, config, consent, run_date)
        scored = score.score_night(
            spark, config, run_date, inputs.interactions, inputs.links, inputs.posts, inputs.history, run=record.run
        )
        record.run("scores", score.stage_scores, lake, scored)
        checked = record.run("validate", validate.validate_staged, lake, config, consent, run_date, validator)
        published = record.run("publish", publish.publish, lake, config, consent, run_date)
        record.run("housekeeping", housekeeping.tidy_if_due, lake, config)

    message = published.message
    if checked.skipped_because:
        message = f"{message}; run-over-run checks skipped: {checked.skipped_because}"
    return NightlyOutcome(published.profiles_published, published.profiles, published.profiles_version, message)

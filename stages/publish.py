"""Publish: the night's staged scores become the score history for its date, then gold/profiles in one
MERGE (inserts, changes, removals: one Delta commit) and gold/communities replaced, unless a newer date
is already published."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, functions as F

from influence.config import Config
from influence.governance import ConsentSnapshot, privacy_key
from influence.storage import Lake
from influence.tables import COMMUNITIES, INFLUENCE_SCORES, OPTED_IN, PROFILES, STAGED_SCORES, SUPPRESSING_STATES
from stages.bronze import date_predicate
from stages.result import StageResult
from transforms.model.communities import to_community_table
from transforms.model.scoring import to_profiles
from transforms.privacy import to_persons_in_states, to_published_only

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class PublishResult(StageResult):
    profiles_published: bool
    profiles: int
    profiles_inserted: int
    profiles_updated: int
    profiles_deleted: int
    profiles_version: int | None
    communities: int
    history_suppressed: int  # score history rows of persons suppressed since, removed
    message: str


def publishable(config: Config, consent: ConsentSnapshot, staged: DataFrame) -> DataFrame:
    """What of the staged scores may be published: all of them under `[privacy] publish = "opt_out"` (the
    suppressed were never scored); under "opt_in", the rows of persons holding an opt-in, naming nobody else."""
    if config.privacy.publish != "opt_in":
        return staged
    opted_in = to_persons_in_states(staged, consent.frame, (OPTED_IN,), privacy_key(config))
    return to_published_only(staged, opted_in).localCheckpoint()


def remove_suppressed_history(lake: Lake, config: Config, consent: ConsentSnapshot) -> int:
    """The score history of persons suppressed since they were scored (opted out, a minor) leaves the
    published history: what they asked to keep out of view is not readable in gold/influence_scores either.
    Nothing is read when nobody is suppressed."""
    if not consent.holds_any(SUPPRESSING_STATES):
        return 0
    history = lake.read(INFLUENCE_SCORES).select("person_id", "accounts").distinct()
    suppressed = to_persons_in_states(history, consent.frame, SUPPRESSING_STATES, privacy_key(config)).localCheckpoint()
    if suppressed.isEmpty():
        return 0
    lake.table(INFLUENCE_SCORES).alias("h").merge(
        suppressed.alias("s"), "h.person_id = s.person_id"
    ).whenMatchedDelete().execute()
    return lake.last_commit_metrics(INFLUENCE_SCORES).get("numTargetRowsDeleted", 0)


def publish(lake: Lake, config: Config, consent: ConsentSnapshot, run_date: dt.date) -> PublishResult:
    """Score history for the date, then the profiles table in one MERGE (inserts, changes, removals)."""
    staged = publishable(config, consent, lake.read(STAGED_SCORES).filter(F.col("run_date") == F.lit(run_date)))
    lake.replace_where(staged, INFLUENCE_SCORES, date_predicate(run_date))
    history_suppressed = remove_suppressed_history(lake, config, consent)

    profiles = lake.table(PROFILES)
    published_date = lake.read(PROFILES).agg(F.max("as_of_date")).first()[0]  # one row
    if published_date is not None and published_date > run_date:
        message = f"profiles keep the newer date {published_date}; scores for {run_date} were added to the history"
        log.warning("publish: %s", message)
        return PublishResult(
            profiles_published=False,
            profiles=0,
            profiles_inserted=0,
            profiles_updated=0,
            profiles_deleted=0,
            profiles_version=None,
            communities=0,
            history_suppressed=history_suppressed,
            message=message,
        )

    candidate = to_profiles(staged, privacy_key(config))
    value_columns = [name for name in PROFILES.columns if name not in PROFILES.key]
    # maps are not comparable in SQL; their JSON is (entries are kept sorted, see with_explanation)
    comparable = {f.name for f in PROFILES.schema.fields if "map<" not in f.dataType.simpleString()}
    unchanged = " AND ".join(
        f"p.{name} <=> c.{name}" if name in comparable else f"to_json(p.{name}) <=> to_json(c.{name})" for name in value_columns
    )
    (
        profiles.alias("p")
        .merge(candidate.alias("c"), " AND ".join(f"p.{k} = c.{k}" for k in PROFILES.key))
        .whenMatchedUpdateAll(condition=f"NOT ({unchanged})")
        .whenNotMatchedInsertAll()
        .whenNotMatchedBySourceDelete()
        .execute()
    )
    version, metrics = lake.last_commit(PROFILES)
    inserted, updated, deleted = (
        metrics.get("numTargetRowsInserted", 0),
        metrics.get("numTargetRowsUpdated", 0),
        metrics.get("numTargetRowsDeleted", 0),
    )
    # The MERGE leaves exactly the candidate rows (each updated, kept or inserted; every other row deleted)
    total = metrics["numSourceRows"] if "numSourceRows" in metrics else lake.read(PROFILES).count()
    settings = config.model.communities
    # Replaced whole: the table describes the published night only (empty when communities are off).
    lake.overwrite(to_community_table(staged, settings.top_persons, settings.top_topics), COMMUNITIES)
    communities = lake.last_commit_metrics(COMMUNITIES).get("numOutputRows", 0)
    return PublishResult(
        profiles_published=True,
        profiles=total,
        profiles_inserted=inserted,
        profiles_updated=updated,
        profiles_deleted=deleted,
        profiles_version=version,
        communities=communities,
        history_suppressed=history_suppressed,
        message=f"published {total} profiles as of {run_date} (profiles version {version})",
    )

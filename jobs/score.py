"""Scoring one night: the window's interactions -> influence_scores rows (docs/model.md).

graph (model weights, persons) -> TrustRank votes -> weighted PageRank -> calibrated, smoothed score,
sub-scores, explanation, topics and moments. Reads nothing itself: the nightly job passes the lake's
silver tables, tests and benchmarks pass frames they built.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from influence.config import Config
from influence.model import config_hash, load_reference, load_taxonomy
from influence.pagerank import PageRankResult, TrustResult, trust_votes, weighted_pagerank
from influence.tables import MOMENTS, TOPICS
from transforms.graph import edges_of, vertices_of, with_persons
from transforms.scoring import (
    baseline_rank,
    to_engagement_flows,
    to_influence_scores,
    to_previous_scores,
    with_calibrated_scores,
    with_engagement,
    with_explanation,
    with_model_stamp,
    with_percentile,
    with_primary_account,
    with_relative_rank,
    with_smoothed_score,
    with_sub_measures,
)
from transforms.topics import to_moments, to_person_topics, to_post_engagement, to_post_topics, to_topic_keys
from transforms.weights import with_model_weights, with_post_decay

log = logging.getLogger(__name__)


@contextlib.contextmanager
def untimed(name: str):
    yield {}


@dataclass(frozen=True)
class ScoredNight:
    scores: DataFrame  # influence_scores schema
    pagerank: PageRankResult
    trust: TrustResult
    cached: tuple[DataFrame, ...]

    def release(self) -> None:
        for frame in self.cached:
            frame.unpersist()


def score_night(
    spark: SparkSession,
    config: Config,
    run_date: dt.date,
    interactions: DataFrame,
    links: DataFrame | None,
    posts: DataFrame,
    history: DataFrame | None,
    stage: Callable[[str], AbstractContextManager[dict]] = untimed,
) -> ScoredNight:
    """influence_scores rows of run_date from silver frames (read from the lake, or built by a test).

    interactions, links, posts: silver schemas; history: earlier influence_scores (smoothing), or None.
    `stage(name)` times and counts each step (the run log's RunRecord.stage).
    """
    model, settings = config.model, config.pagerank
    reference = load_reference(config)
    _, taxonomy = load_taxonomy(spark, config)
    stamp = config_hash(config)
    kind_weights = dataclasses.asdict(model.kind_weights) if model.use_kind_weights else None
    interactions = with_model_weights(
        interactions, run_date, model.window_days, model.half_life_days, kind_weights
    )
    with stage("graph") as counts:
        persons = with_persons(interactions, links).persist(StorageLevel.MEMORY_AND_DISK)
        # persons is joined with the identity links once; vertices and edges are built from it
        vertices = vertices_of(persons).persist(StorageLevel.MEMORY_AND_DISK)
        edges = edges_of(persons).persist(StorageLevel.MEMORY_AND_DISK)
        counts["vertices"] = vertices.count()
        counts["edges"] = edges.count()
    with stage("trust") as counts:
        trust = TrustResult(None, 0, 0)
        if model.trust.enabled:
            trust = trust_votes(
                vertices, edges, settings.damping, settings.tolerance, settings.max_iterations,
                model.trust.full_vote_trust, model.trust.untrusted_vote, model.trust.reader_vote,
            )
        counts.update(readers=trust.readers, iterations=trust.iterations)
    with stage("pagerank") as counts:
        result = weighted_pagerank(
            vertices, edges, settings.damping, settings.tolerance, settings.max_iterations, votes=trust.votes
        )
        counts.update(iterations=result.iterations, converged=int(result.converged))
        log.info("pagerank: %d iterations, L1 change %.2e, converged=%s", result.iterations, result.l1_change, result.converged)
    with stage("enrich") as counts:
        ranked = (
            result.ranks.join(vertices, on="id", how="inner")
            .transform(with_relative_rank, result.vertex_count)
            .transform(with_engagement, edges)
            .localCheckpoint()
        )
        previous = (
            to_previous_scores(history, run_date) if history is not None
            else spark.createDataFrame([], "person_id string, previous_score int")
        )
        flows = to_engagement_flows(persons, ranked, trust.votes, settings.damping)
        posts = with_post_decay(posts, run_date, model.window_days, model.half_life_days)
        post_engagement = to_post_engagement(posts, persons, ranked, kind_weights, links).localCheckpoint()
        post_topics = to_post_topics(posts.join(post_engagement.select("network", "post_id"), on=["network", "post_id"], how="left_semi"), to_topic_keys(taxonomy))
        topic_names = taxonomy.select("topic_id", "name").distinct()
        scored = (
            ranked.transform(with_sub_measures, persons, edges)
            .transform(with_calibrated_scores, reference.anchors)
            .transform(with_smoothed_score, previous, model.smoothing)
            .transform(with_percentile)
            .transform(with_primary_account)
            .transform(with_explanation, flows, baseline_rank(settings.damping, result.redistributed_mass, result.vertex_count), model.top_engagers)
            .join(to_person_topics(post_engagement, post_topics, topic_names, model.top_topics), on="id", how="left")
            .join(to_moments(post_engagement, model.top_moments), on="id", how="left")
            .withColumns({
                "topics": F.coalesce(F.col("topics"), F.array().cast(TOPICS)),
                "moments": F.coalesce(F.col("moments"), F.array().cast(MOMENTS)),
            })
            .transform(with_model_stamp, model.version, stamp)
        )
        counts["persons"] = result.vertex_count
    return ScoredNight(to_influence_scores(scored, run_date), result, trust, (persons, vertices, edges))

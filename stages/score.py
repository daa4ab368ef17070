"""Score: the window's interactions -> influence_scores rows (docs/model.md).

graph (model weights, persons) -> TrustRank votes -> weighted PageRank (warm-started from the last
published night) -> communities -> calibrated, smoothed score, sub-scores, explanation, topics, moments
and community. Reads nothing itself: the nightly job passes the lake's
silver tables, tests and benchmarks pass frames they built.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, functions as F

from influence.arrays import DriverGraph, fetch_graph
from influence.communities import detect_communities
from influence.config import Config, driver_memory_bytes
from influence.errors import ValidationFailed
from influence.governance import ConsentSnapshot, privacy_key
from influence.model import config_hash, load_reference, load_taxonomy
from influence.pagerank import Engine, EngineChoice, PageRankResult, TrustResult, trust_votes, weighted_pagerank
from influence.storage import Lake
from influence.tables import (
    ACCOUNTS,
    IDENTITY_LINKS,
    INFLUENCE_SCORES,
    INTERACTIONS,
    MOMENT_DAYS,
    MOMENTS,
    POSTS,
    STAGED_SCORES,
    SUPPRESSING_STATES,
    TOPICS,
)
from stages.result import StageResult
from transforms.model.communities import to_community_shares
from transforms.model.graph import edges_of, vertices_of, with_persons
from transforms.model.moments import to_moment_days
from transforms.model.scoring import (
    baseline_rank,
    to_counted_flows,
    to_engagement_flows,
    to_influence_scores,
    to_previous_scores,
    to_warm_start,
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
from transforms.model.topics import to_moments, to_person_topics, to_post_engagement, to_post_topics, to_topic_keys
from transforms.model.trust import (
    SeedRule,
    is_new,
    oldest_activity_days,
    to_activity,
    to_burst_discounts,
    to_seeds,
    with_discounts,
)
from transforms.model.weights import in_window, with_model_weights, with_post_decay
from transforms.privacy import to_account_keys, to_suppressed_accounts, without_suppressed_interactions, without_suppressed_posts
from transforms.silver.conform import landed_since

log = logging.getLogger(__name__)


Runner = Callable[..., StageResult]


def run_untimed(name: str, stage: Callable[..., StageResult], *args, **kwargs) -> StageResult:
    return stage(*args, **kwargs)


@dataclass(frozen=True, kw_only=True)
class SilverInputs(StageResult):
    """The silver frames a night scores, with opted-out, erased and minor persons already left out."""

    suppressed_accounts: int
    interactions: DataFrame
    posts: DataFrame
    links: DataFrame
    history: DataFrame | None


def previous_night(lake: Lake, run_date: dt.date) -> DataFrame | None:
    """The score history of the latest date before run_date, the only night smoothing and the warm start
    read (None when there is none): one partition, whatever the history's length."""
    return lake.latest_partition_before(INFLUENCE_SCORES, run_date)[1]


def read_consented(lake: Lake, config: Config, consent: ConsentSnapshot, run_date: dt.date) -> SilverInputs:
    """Silver as the model may see it: a suppressed person is not a vertex, not an engager, not an
    author of moments or topics. Interactions are read from the run dates the window can have landed on."""
    oldest_landing = run_date - dt.timedelta(days=config.window_landing_days) if config.window_landing_days else None
    interactions = landed_since(lake.read(INTERACTIONS), oldest_landing)
    posts, links = lake.read(POSTS), lake.read(IDENTITY_LINKS)
    history = previous_night(lake, run_date)
    suppressed_count = 0
    if consent.holds_any(SUPPRESSING_STATES):
        account_keys = to_account_keys(lake.read(ACCOUNTS), links, privacy_key(config))
        suppressed = to_suppressed_accounts(account_keys, consent.frame, SUPPRESSING_STATES).localCheckpoint()
        suppressed_count = suppressed.count()
        interactions = without_suppressed_interactions(interactions, suppressed)
        posts = without_suppressed_posts(posts, suppressed)
    return SilverInputs(
        suppressed_accounts=suppressed_count, interactions=interactions, posts=posts, links=links, history=history
    )


@dataclass(frozen=True, kw_only=True)
class GraphResult(StageResult):
    vertices: int
    edges: int
    persons: DataFrame  # interactions with actor_person / target_person
    vertex_frame: DataFrame  # id, primary account
    edge_frame: DataFrame  # src, dst, weight
    engine: EngineChoice  # where the centrality stages run it
    # the graph fetched once for the local engines of trust, pagerank and communities; None on GraphFrames
    in_driver: DriverGraph | None = None

    def release(self) -> None:
        for frame in (self.persons, self.vertex_frame, self.edge_frame):
            frame.unpersist()


def build_graph(config: Config, interactions: DataFrame, links: DataFrame | None) -> GraphResult:
    # persons is joined with the identity links once; vertices and edges are built from it
    persons = with_persons(interactions, links).persist(StorageLevel.MEMORY_AND_DISK)
    vertices = vertices_of(persons).persist(StorageLevel.MEMORY_AND_DISK)
    edges = edges_of(persons).persist(StorageLevel.MEMORY_AND_DISK)
    vertex_count, edge_count = vertices.count(), edges.count()
    engine = pick_engine(config, edge_count)
    in_driver = fetch_graph(vertices, edges, "weight") if engine.engine == "local" and vertex_count else None
    return GraphResult(
        vertices=vertex_count,
        edges=edge_count,
        persons=persons,
        vertex_frame=vertices,
        edge_frame=edges,
        engine=engine,
        in_driver=in_driver,
    )


def interactions_text(count: int) -> str:
    return "1 interaction" if count == 1 else f"{count:,} interactions"


def empty_window_note(interactions: DataFrame, run_date: dt.date, window_days: int) -> str:
    """Why a night's graph is empty, for the operator: nothing landed on the window's run dates, what landed
    happened outside the window (a dump run on a date other than its own), or what is in it joins no two
    persons. Asked only of an empty graph."""
    window = f"the scoring window ({window_days} days to the end of {run_date})" if window_days else "the scoring window"
    found = interactions.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count_if(in_window(run_date, window_days)).alias("inside"),
        F.min("occurred_at").alias("first"),
        F.max("occurred_at").alias("last"),
    ).first()
    if not found.rows:
        return f"{window} holds no interactions: none were landed on its run dates"
    if found.inside:
        return f"{window} holds {interactions_text(found.inside)}, and none joins two different persons with a weight above 0"
    read, were = ("the interaction read", "was") if found.rows == 1 else (f"the {found.rows:,} interactions read", "were")
    if found.last is None:
        return f"{window} holds no interactions: {read} {were} landed after {run_date}"
    return (
        f"{window} holds no interactions: {read} occurred from {found.first:%Y-%m-%d} to "
        f"{found.last:%Y-%m-%d}, outside it. A dump's events count on the nights of their own dates: run "
        f"--date {found.last:%Y-%m-%d}, or backfill the dates they cover"
    )


def pick_engine(config: Config, edge_count: int) -> EngineChoice:
    settings = config.pagerank
    memory = driver_memory_bytes(config.spark.driver_memory) or 0
    choice = Engine(settings.engine, settings.local_max_edges, memory).pick(edge_count)
    log.info("centrality engine %s (%s)", choice.engine, choice.reason)
    return choice


@dataclass(frozen=True, kw_only=True)
class TrustStage(StageResult):
    seeds: int
    new_persons: int  # first seen less than seed_min_age_days before the night's end (0 when ages are unknown)
    ages_known: bool
    burst_discounted_edges: int
    iterations: int
    trust: TrustResult
    edges: DataFrame  # the graph's edges with discount (1 unless a burst of new accounts scaled it down)
    # the graph stage's DriverGraph with each edge's discount, for the local PageRank; None on GraphFrames
    in_driver: DriverGraph | None


def compute_trust(config: Config, graph: GraphResult) -> TrustStage:
    """Seeds by the seed rule, TrustRank from them, each person's vote, and the burst discounts. A night
    with trust on and no seed fails validation: its scores would have no anti-gaming defence."""
    settings, pagerank, engine = config.model.trust, config.pagerank, graph.engine
    if not settings.enabled or graph.vertices == 0:  # an empty window has nothing to defend
        return TrustStage(
            seeds=0,
            new_persons=0,
            ages_known=False,
            burst_discounted_edges=0,
            iterations=0,
            trust=TrustResult(None, 0, 0),
            edges=graph.edge_frame,
            in_driver=graph.in_driver,
            extra=engine_counts(engine),
        )
    activity = to_activity(graph.persons).persist(StorageLevel.MEMORY_AND_DISK)
    oldest = oldest_activity_days(activity)
    rule = SeedRule(settings.seed_min_engaged, settings.seed_min_age_days, ages_known=oldest >= settings.seed_min_age_days)
    seeds = to_seeds(activity, rule).localCheckpoint()
    seed_count = seeds.count()
    if seed_count == 0:
        activity.unpersist()
        raise ValidationFailed(
            "validation failed at the trust stage; nothing was published",
            [
                f"trust: no person meets the seed rule ({rule.describe()}), so the anti-gaming defence would be off "
                "for the whole night; lower [model.trust] seed_min_engaged or seed_min_age_days, or land more history"
            ],
        )
    trust = trust_votes(
        graph.vertex_frame,
        graph.edge_frame,
        seeds,
        seed_count,
        pagerank.damping,
        pagerank.tolerance,
        pagerank.max_iterations,
        settings.full_vote_trust,
        settings.untrusted_vote,
        engine=engine.engine,
        max_error=max_error(config),
        fetched=graph.in_driver,
    )
    discounts = to_burst_discounts(graph.persons, activity, rule, settings.burst_allowance).localCheckpoint()
    new_persons = activity.filter(is_new(rule)).count()
    activity.unpersist()
    # The discounted edges are this stage's product: built here, not inside the first stage that reads them
    # (at 10M interactions, a join over 8M edges that the pagerank stage's time would otherwise include);
    # in the driver too, where the local PageRank reads them.
    discounted_edges = with_discounts(graph.edge_frame, discounts).persist(StorageLevel.MEMORY_AND_DISK)
    discounted_edges.count()
    in_driver = None if graph.in_driver is None else graph.in_driver.with_edge_values(discounts, "discount", 1.0)
    log.info(
        "trust: %d seeds (%s), %d new persons, %d edges discounted by bursts",
        trust.seeds,
        rule.describe(),
        new_persons,
        discounted := discounts.count(),
    )
    return TrustStage(
        seeds=trust.seeds,
        new_persons=new_persons,
        ages_known=rule.ages_known,
        burst_discounted_edges=discounted,
        iterations=trust.iterations,
        trust=trust,
        edges=discounted_edges,
        in_driver=in_driver,
        extra=engine_counts(engine),
    )


def engine_counts(choice: EngineChoice) -> dict[str, int]:
    """The run log's record of the engine: which ran (engine_<name> = 1) and why: engine_auto = 1 when
    `auto` chose it by comparing the graph's edges (the graph stage's count) with local_max_edges."""
    return {f"engine_{choice.engine}": 1, "engine_auto": int(choice.auto), "local_max_edges": choice.local_max_edges}


@dataclass(frozen=True, kw_only=True)
class PageRankStage(StageResult):
    iterations: int
    converged: bool
    warm_start: bool
    result: PageRankResult


def compute_pagerank(
    config: Config,
    graph: GraphResult,
    trusted: TrustStage,
    start: DataFrame | None = None,
) -> PageRankStage:
    """PageRank on the graph's edges with their burst discounts (TrustStage.edges, or TrustStage.in_driver for
    the local engine), each person voting their trust; start (id, rank): last night's published ranks, or None
    for a cold start."""
    settings, engine = config.pagerank, graph.engine
    result = weighted_pagerank(
        graph.vertex_frame,
        trusted.edges,
        settings.damping,
        settings.tolerance,
        settings.max_iterations,
        votes=trusted.trust.votes,
        start=start,
        engine=engine.engine,
        max_error=max_error(config),
        fetched=trusted.in_driver,
    )
    log.info(
        "pagerank (%s engine, %s start): %d iterations, last L1 change %.2e, within %.2e of the fixed point, converged=%s",
        engine.engine,
        "warm" if start is not None else "cold",
        result.iterations,
        result.l1_change,
        result.error_bound,
        result.converged,
    )
    return PageRankStage(
        iterations=result.iterations,
        converged=result.converged,
        warm_start=start is not None,
        result=result,
        extra={**engine_counts(engine), **convergence_counts(result)},
    )


def max_error(config: Config) -> float | None:
    """[pagerank] max_error, or None for networkx's stopping rule (max_error = 0)."""
    return config.pagerank.max_error or None


def convergence_counts(result: PageRankResult) -> dict[str, int]:
    """The run log's record of convergence, in parts per billion of the rank (which sums to 1): the last
    iteration's L1 change and the bound of the distance to the fixed point, rounded up."""

    def ppb(value: float) -> int:
        return math.ceil(value * 1e9) if math.isfinite(value) else -1  # -1: no iteration ran

    return {"l1_change_ppb": ppb(result.l1_change), "error_bound_ppb": ppb(result.error_bound)}


@dataclass(frozen=True, kw_only=True)
class CommunitiesStage(StageResult):
    communities: int
    largest_community: int
    frame: DataFrame | None  # id, community_id, community_size; None when disabled


def compute_communities(config: Config, graph: GraphResult) -> CommunitiesStage:
    """Label propagation where the centrality engine runs: in the driver for a graph `local` takes."""
    settings, engine = config.model.communities, graph.engine
    if not settings.enabled or graph.vertices == 0:
        return CommunitiesStage(communities=0, largest_community=0, frame=None)
    frame = detect_communities(
        graph.vertex_frame,
        graph.edge_frame,
        settings.max_iterations,
        privacy_key(config),
        engine=engine.engine,
        fetched=graph.in_driver,
    )
    summary = frame.agg(F.countDistinct("community_id").alias("communities"), F.max("community_size").alias("largest")).first()
    return CommunitiesStage(
        communities=summary.communities, largest_community=summary.largest, frame=frame, extra=engine_counts(engine)
    )


@dataclass(frozen=True, kw_only=True)
class EnrichResult(StageResult):
    persons: int
    scores: DataFrame  # influence_scores schema


def enrich(
    spark: SparkSession,
    config: Config,
    run_date: dt.date,
    graph: GraphResult,
    trust: TrustResult,
    edges: DataFrame,
    pagerank: PageRankResult,
    communities: DataFrame | None,
    posts: DataFrame,
    links: DataFrame | None,
    history: DataFrame | None,
) -> EnrichResult:
    """Calibrated, smoothed score, sub-scores, explanation, topics, moments and community of every vertex.
    edges: the graph's, with their burst discounts (TrustStage.edges); communities: id, community_id,
    community_size, or None (the community columns are then null)."""
    model, settings = config.model, config.pagerank
    reference = load_reference(config)
    _, taxonomy = load_taxonomy(spark, config)
    kind_weights = dataclasses.asdict(model.kind_weights) if model.use_kind_weights else None
    persons, vertices = graph.persons, graph.vertex_frame
    baseline = baseline_rank(settings.damping, pagerank.redistributed_mass, pagerank.vertex_count)
    flows = to_engagement_flows(persons, pagerank.ranks, trust.votes, edges, settings.damping).localCheckpoint()
    # the explanation's shares are of the rank the score counts; read four times below, so computed once
    counted_flows = to_counted_flows(flows).localCheckpoint()
    ranked = (
        pagerank.ranks.join(vertices, on="id", how="inner")
        .transform(with_relative_rank, flows, baseline)
        .transform(with_engagement, edges)
        .localCheckpoint()
    )
    previous = (
        to_previous_scores(history, run_date)
        if history is not None
        else spark.createDataFrame([], "person_id string, previous_score int")
    )
    posts = with_post_decay(posts, run_date, model.window_days, model.half_life_days)
    post_engagement = to_post_engagement(posts, persons, ranked, kind_weights, links).localCheckpoint()
    post_topics = to_post_topics(
        posts.join(post_engagement.select("network", "post_id"), on=["network", "post_id"], how="left_semi"),
        to_topic_keys(taxonomy),
    )
    topic_names = taxonomy.select("topic_id", "name").distinct()
    if communities is not None:
        membership = communities.join(to_community_shares(counted_flows, communities, baseline), on="id", how="left").select(
            "id", "community_id", "community_size", F.coalesce(F.col("community_share"), F.lit(0.0)).alias("community_share")
        )
    else:
        membership = vertices.select(
            "id",
            F.lit(None).cast("string").alias("community_id"),
            F.lit(None).cast("long").alias("community_size"),
            F.lit(None).cast("double").alias("community_share"),
        )
    # computed once: the explanation reads every engager's primary account from these rows as well
    measured = (
        ranked.transform(with_sub_measures, persons, edges)
        .transform(with_calibrated_scores, reference.anchors)
        .transform(with_smoothed_score, previous, model.smoothing)
        .transform(with_percentile)
        .transform(with_primary_account)
        .localCheckpoint()
    )
    scored = (
        measured.transform(with_explanation, counted_flows, baseline, model.top_engagers)
        .join(to_person_topics(post_engagement, post_topics, topic_names, model.top_topics), on="id", how="left")
        .join(to_moments(post_engagement, model.top_moments), on="id", how="left")
        .join(
            to_moment_days(persons, run_date, model.moment_min_engagers, model.moment_min_surprise, model.top_moments),
            on="id",
            how="left",
        )
        .join(membership, on="id", how="left")
        .withColumns(
            {
                "topics": F.coalesce(F.col("topics"), F.array().cast(TOPICS)),
                "moments": F.coalesce(F.col("moments"), F.array().cast(MOMENTS)),
                "moment_days": F.coalesce(F.col("moment_days"), F.array().cast(MOMENT_DAYS)),
            }
        )
        .transform(with_model_stamp, model.version, config_hash(config))
    )
    return EnrichResult(persons=pagerank.vertex_count, scores=to_influence_scores(scored, run_date))


@dataclass(frozen=True)
class ScoredNight:
    scores: DataFrame  # influence_scores schema
    pagerank: PageRankResult
    trust: TrustResult
    graph: GraphResult
    communities: DataFrame | None = None
    edges: DataFrame | None = None  # the graph's edges with their burst discounts

    def release(self) -> None:
        self.graph.release()
        if self.edges is not None:
            self.edges.unpersist()
        if self.communities is not None:
            self.communities.unpersist()


def score_night(
    spark: SparkSession,
    config: Config,
    run_date: dt.date,
    interactions: DataFrame,
    links: DataFrame | None,
    posts: DataFrame,
    history: DataFrame | None,
    run: Runner = run_untimed,
) -> ScoredNight:
    """influence_scores rows of run_date from silver frames (read from the lake, or built by a test).

    interactions, links, posts: silver schemas; history: earlier influence_scores (smoothing), or None.
    `run(name, stage, *args)` runs each step (the run log's RunRecord.run times and counts it).
    """
    model = config.model
    kind_weights = dataclasses.asdict(model.kind_weights) if model.use_kind_weights else None
    weighted = with_model_weights(interactions, run_date, model.window_days, model.half_life_days, kind_weights)
    graph = run("graph", build_graph, config, weighted, links)
    if graph.vertices == 0:
        log.warning("graph: %s", empty_window_note(interactions, run_date, model.window_days))
    trusted = run("trust", compute_trust, config, graph)
    trust = trusted.trust
    start = to_warm_start(history, run_date) if history is not None and config.pagerank.warm_start else None
    pagerank = run("pagerank", compute_pagerank, config, graph, trusted, start).result
    communities = run("communities", compute_communities, config, graph).frame
    # the local engines are done with the graph in the driver: free its memory
    graph, trusted = dataclasses.replace(graph, in_driver=None), dataclasses.replace(trusted, in_driver=None)
    enriched = run(
        "enrich", enrich, spark, config, run_date, graph, trust, trusted.edges, pagerank, communities, posts, links, history
    )
    return ScoredNight(enriched.scores, pagerank, trust, graph, communities, trusted.edges)


@dataclass(frozen=True, kw_only=True)
class StagedResult(StageResult):
    staged: int


def stage_scores(lake: Lake, scored: ScoredNight) -> StagedResult:
    """The night's candidate rows -> staging/influence_scores (replaced whole), for validation."""
    lake.overwrite(scored.scores, STAGED_SCORES)
    staged = lake.last_commit_metrics(STAGED_SCORES).get("numOutputRows", 0)
    scored.release()
    return StagedResult(staged=staged)

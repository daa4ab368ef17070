"""PageRank -> the 1-100 influence score, its sub-scores, its explanation and engagement counts.

Pure transforms; the model and where each number comes from is described in docs/model.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, Window, functions as F

from influence.tables import INFLUENCE_SCORES, PROFILES
from transforms.privacy import profile_key

MIN_SCORE, MAX_SCORE = 1, 100
# Kinds that carry a post further (a reshare or a quote) or answer it (a reply): amplification counts these.
AMPLIFYING_KINDS = ("reshare", "quote", "reply")
BASELINE = "baseline"

# Each calibrated measure: the column it reads and its log transform (docs/model.md#calibration).
MEASURES = {
    "relative_rank": lambda c: F.ln(c),
    "engagers": lambda c: F.log1p(c),
    "amplification": lambda c: F.log1p(c),
    "engager_rank": lambda c: F.log1p(c),
}


def with_engagement(ranked: DataFrame, edges: DataFrame) -> DataFrame:
    """engagers: distinct persons with an edge into the vertex; interactions_received: their interactions."""
    incoming = edges.groupBy(F.col("dst").alias("id")).agg(
        F.count(F.lit(1)).alias("engagers"),
        F.sum("interactions").alias("interactions_received"),
    )
    return ranked.join(incoming, on="id", how="left").fillna(0, subset=["engagers", "interactions_received"])


def per_engager_flows(flows: DataFrame) -> DataFrame:
    """dst, src, flow: what each engager sent each person, over all networks and kinds."""
    return flows.groupBy("dst", "src").agg(F.sum("flow").alias("flow"))


def to_concentration(flows: DataFrame) -> DataFrame:
    """id, engaged_rank (the rank engagement sent to the person), top_flow (what their biggest engager
    sent) and effective_engagers, (sum f)^2 / sum f^2 over the flows f of their engagers: the number of
    equal engagers that would give the same concentration (1 when one engager sends it all)."""
    return (
        per_engager_flows(flows)
        .groupBy(F.col("dst").alias("id"))
        .agg(
            F.sum("flow").alias("engaged_rank"), F.max("flow").alias("top_flow"), F.sum(F.col("flow") ** 2).alias("flow_squares")
        )
        .select(
            "id",
            "engaged_rank",
            "top_flow",
            F.when(F.col("flow_squares") > 0, F.col("engaged_rank") ** 2 / F.col("flow_squares"))
            .otherwise(F.lit(0.0))
            .alias("effective_engagers"),
        )
    )


def with_relative_rank(ranked: DataFrame, flows: DataFrame, baseline_rank: float) -> DataFrame:
    """relative_rank: the rank the score counts over baseline_rank, so 1 is a person nobody engages with
    (the teleport and redistributed rank only), whatever the graph's size.

    Rank that is not sent along edges (votes below 1, dangling persons) raises every baseline alike, so
    it lifts nobody: a farm whose votes do not count adds persons and redistributed rank, and no one's
    relative_rank moves for it. The counted rank is the baseline plus what the engagers send, the biggest
    engager counted for no more than all the others together (concentration): one engager alone lifts
    nobody, and no engager supplies more than half of the counted rank. Also top_engager_share (the
    biggest engager's share of the counted rank, as the explanation counts it) and effective_engagers.

    The baseline and the flows both come from the final ranks, so the counted rank is PageRank's next
    step, not the pagerank itself, which differs from it by the last iteration's residual (within the
    stopping tolerance). So a person whose engagement counts for nothing is exactly at 1, tied with
    everyone else at the floor, rather than above or below them by that residual.
    flows: to_engagement_flows output."""
    others = F.col("engaged_rank") - F.col("top_flow")  # exactly 0 with one engager
    counted_engaged = F.least(F.col("engaged_rank"), F.lit(2.0) * others)
    counted_top = F.least(F.col("top_flow"), others)
    return (
        ranked.join(to_concentration(flows), on="id", how="left")
        .fillna(0.0, subset=["engaged_rank", "top_flow", "effective_engagers"])
        .withColumns(
            {
                "relative_rank": F.lit(1.0) + counted_engaged / F.lit(baseline_rank),
                "top_engager_share": counted_top / (F.lit(baseline_rank) + counted_engaged),
            }
        )
        .drop("engaged_rank", "top_flow")
    )


def to_counted_flows(flows: DataFrame) -> DataFrame:
    """The flows as the score counts them: each person's biggest engager's flows scaled down so that they
    sum to no more than all the other engagers' flows together (with_relative_rank's concentration rule);
    every other flow as it is. The explanation's shares are shares of this counted rank.
    flows: to_engagement_flows output (dst, src, network, kind, flow)."""
    per_engager = per_engager_flows(flows).withColumnRenamed("flow", "engager_flow")
    per_person = to_concentration(flows).select(F.col("id").alias("dst"), "engaged_rank", "top_flow")
    # two engagers tied at the top each send no more than the rest: only a lone top engager is cut
    cut = (F.col("engager_flow") == F.col("top_flow")) & (F.col("top_flow") * 2 > F.col("engaged_rank"))
    factors = per_engager.join(per_person, on="dst").select(
        "dst",
        "src",
        F.when(cut, (F.col("engaged_rank") - F.col("top_flow")) / F.col("top_flow")).otherwise(F.lit(1.0)).alias("factor"),
    )
    return flows.join(factors, on=["dst", "src"]).withColumn("flow", F.col("flow") * F.col("factor")).drop("factor")


def to_amplification(persons: DataFrame) -> DataFrame:
    """id, amplification: reshares, quotes and replies received per post engaged with. Posts without an
    id (SNAP) count one post per person per day."""
    amplifying = persons.filter(F.col("kind").isin(*AMPLIFYING_KINDS) & (F.col("actor_person") != F.col("target_person")))
    post = F.coalesce(
        F.concat_ws(":", F.col("network"), F.col("target_post_id")),
        F.concat(F.lit("day:"), F.to_date(F.coalesce(F.col("occurred_at"), F.col("run_date").cast("timestamp"))).cast("string")),
    )
    return amplifying.groupBy(F.col("target_person").alias("id")).agg(
        (F.count(F.lit(1)) / F.countDistinct(post)).alias("amplification")
    )


def to_engager_rank(edges: DataFrame, ranked: DataFrame) -> DataFrame:
    """id, engager_rank: the mean relative_rank of the distinct persons who engage with the vertex."""
    engager_ranks = ranked.select(F.col("id").alias("src"), "relative_rank")
    return (
        edges.select("src", "dst")
        .join(engager_ranks, on="src", how="inner")
        .groupBy(F.col("dst").alias("id"))
        .agg(F.avg("relative_rank").alias("engager_rank"))
    )


def with_sub_measures(ranked: DataFrame, persons: DataFrame, edges: DataFrame) -> DataFrame:
    """amplification and engager_rank (0 when nobody engages); ranked needs relative_rank."""
    return (
        ranked.join(to_amplification(persons), on="id", how="left")
        .join(to_engager_rank(edges, ranked), on="id", how="left")
        .fillna(0.0, subset=["amplification", "engager_rank"])
    )


def calibrated(value: Column, lower: float, upper: float) -> Column:
    """1 + 99 x the position of value between the reference anchors, clamped to [1, 100] (a double)."""
    if not upper > lower:
        raise ValueError(f"calibration anchors must satisfy lower < upper, got {lower} and {upper}")
    position = (value - F.lit(lower)) / F.lit(upper - lower)
    clamped = F.least(F.greatest(position, F.lit(0.0)), F.lit(1.0))
    return F.lit(float(MIN_SCORE)) + F.lit(float(MAX_SCORE - MIN_SCORE)) * clamped


def rounded_score(value: Column) -> Column:
    return F.round(value).cast("int")


def with_calibrated_scores(scored: DataFrame, anchors: Mapping[str, tuple[float, float]]) -> DataFrame:
    """raw_score from relative_rank, and the sub-scores reach_score (engagers), amplification_score and
    network_score (engager_rank), each log-scaled between the stored reference distribution's anchors,
    so a person's score does not move because the rest of the graph grew."""
    transform = {name: MEASURES[name](F.col(name)) for name in MEASURES}
    return scored.withColumns(
        {
            "raw_score": calibrated(transform["relative_rank"], *anchors["relative_rank"]),
            "reach_score": rounded_score(calibrated(transform["engagers"], *anchors["engagers"])),
            "amplification_score": rounded_score(calibrated(transform["amplification"], *anchors["amplification"])),
            "network_score": rounded_score(calibrated(transform["engager_rank"], *anchors["engager_rank"])),
        }
    )


def with_smoothed_score(scored: DataFrame, previous: DataFrame, smoothing: float) -> DataFrame:
    """score = round(smoothing x raw_score + (1 - smoothing) x previous score), or round(raw_score) for a
    person without one. previous: person_id, previous_score (the last published score before tonight)."""
    today = F.lit(smoothing) * F.col("raw_score")
    blended = F.when(F.col("previous_score").isNull(), F.col("raw_score")).otherwise(
        today + F.lit(1.0 - smoothing) * F.col("previous_score")
    )
    return (
        scored.join(previous.select(F.col("person_id").alias("id"), "previous_score"), on="id", how="left")
        .withColumn("score", F.least(F.greatest(rounded_score(blended), F.lit(MIN_SCORE)), F.lit(MAX_SCORE)))
        .drop("previous_score")
    )


def latest_before(history: DataFrame, run_date: dt.date) -> DataFrame:
    """The history rows of the latest run date before run_date (none when there is no earlier date)."""
    earlier = history.filter(F.col("run_date") < F.lit(run_date))
    latest = earlier.agg(F.max("run_date").alias("previous_date"))
    return earlier.join(F.broadcast(latest), F.col("run_date") == F.col("previous_date"), "inner")


def to_previous_scores(history: DataFrame, run_date: dt.date) -> DataFrame:
    """person_id, previous_score: each person's score on the latest history date before run_date."""
    return latest_before(history, run_date).select("person_id", F.col("score").alias("previous_score"))


def to_warm_start(history: DataFrame, run_date: dt.date) -> DataFrame:
    """id, rank: the PageRank each person had on the latest published night before run_date, where
    tonight's power iteration starts (the engines renormalise it and start new persons at 1/N)."""
    return latest_before(history, run_date).select(F.col("person_id").alias("id"), F.col("pagerank").alias("rank"))


def with_percentile(scored: DataFrame) -> DataFrame:
    """percentile: share of persons with a strictly lower relative_rank (the rank the score counts),
    0-100 (ties share a percentile)."""
    return scored.withColumn("percentile", F.round(F.percent_rank().over(Window.orderBy("relative_rank")) * 100, 4))


def with_primary_account(scored: DataFrame) -> DataFrame:
    """person_id, and the person's primary account (the first of `accounts`: the most engaged-with) as
    network and account_id, so (network, account_id) stays a unique key of the published rows."""
    return scored.withColumns(
        {
            "person_id": F.col("id"),
            "network": F.col("accounts")[0]["network"],
            "account_id": F.col("accounts")[0]["account_id"],
        }
    )


# Explanation


def to_engagement_flows(
    persons: DataFrame, ranks: DataFrame, votes: DataFrame | None, edges: DataFrame | None, damping: float
) -> DataFrame:
    """dst, src, network, kind, flow: the rank each engager's interactions of one network and kind sent to
    the engaged person in the final PageRank step, d x pagerank(src) x vote(src) x discount(src, dst) x
    w / W(src), where w sums those interactions' model weights and W is everything src sent. persons:
    with_persons output; edges: src, dst, discount (None: no discounts)."""
    engagement = (
        persons.filter(F.col("actor_person") != F.col("target_person"))
        .groupBy(F.col("actor_person").alias("src"), F.col("target_person").alias("dst"), "network", "kind")
        .agg(F.sum("weight").alias("weight"))
    )
    out_weight = engagement.groupBy("src").agg(F.sum("weight").alias("out_weight"))
    sender = ranks.select(F.col("id").alias("src"), "pagerank")
    vote = F.lit(1.0)
    if votes is not None:
        sender = sender.join(votes.select(F.col("id").alias("src"), "vote"), on="src", how="left")
        vote = F.coalesce(F.col("vote"), F.lit(1.0))
    discount = F.lit(1.0)
    if edges is not None and "discount" in edges.columns:
        engagement = engagement.join(edges.select("src", "dst", "discount"), on=["src", "dst"], how="left")
        discount = F.coalesce(F.col("discount"), F.lit(1.0))
    return (
        engagement.join(out_weight, on="src")
        .join(sender, on="src")
        .select(
            "dst",
            "src",
            "network",
            "kind",
            (F.lit(damping) * F.col("pagerank") * vote * discount * F.col("weight") / F.col("out_weight")).alias("flow"),
        )
    )


def _shares_map(flows: DataFrame, by: str) -> DataFrame:
    parts = flows.groupBy("dst", by).agg(F.sum("flow").alias("flow"))
    return parts.groupBy(F.col("dst").alias("id")).agg(
        F.map_from_entries(F.collect_list(F.struct(F.col(by), F.col("flow")))).alias(f"flow_by_{by}")
    )


def with_explanation(scored: DataFrame, flows: DataFrame, baseline_rank: float, top_engagers: int) -> DataFrame:
    """explanation: what the rank the score counts is made of, as fractions of it.

    flows: to_counted_flows output, so a biggest engager's share is what the score counts of it.
    by_network and by_kind each sum to 1: the rank engagement sent from each network / of each kind,
    and `baseline`, the rank every person gets whoever engages (teleport and redistributed rank,
    baseline_rank per person). top_engagers: the persons whose engagement sent the most, with their
    primary account and share. scored needs id and accounts.
    """
    incoming = flows.groupBy(F.col("dst").alias("id")).agg(F.sum("flow").alias("engaged_rank"))
    per_engager = per_engager_flows(flows)
    order = Window.partitionBy("dst").orderBy(F.col("flow").desc(), F.col("src"))
    primaries = scored.select(F.col("id").alias("src"), F.col("accounts")[0].alias("primary"))
    top = (
        per_engager.withColumn("position", F.row_number().over(order))
        .filter(F.col("position") <= top_engagers)
        .join(primaries, on="src", how="left")
        .groupBy(F.col("dst").alias("id"))
        .agg(F.sort_array(F.collect_list(F.struct("position", "src", "primary", "flow"))).alias("top_flows"))
    )
    total = F.lit(baseline_rank) + F.coalesce(F.col("engaged_rank"), F.lit(0.0))
    baseline_share = F.create_map(F.lit(BASELINE), F.lit(baseline_rank) / total)

    def shares(column: str) -> Column:
        scaled = F.transform_values(F.coalesce(F.col(column), F.create_map().cast("map<string,double>")), lambda _, v: v / total)
        # entries sorted by key, so equal explanations serialise equally (publish compares their JSON)
        return F.map_from_entries(F.array_sort(F.map_entries(F.map_concat(baseline_share, scaled))))

    explanation = F.struct(
        shares("flow_by_network").alias("by_network"),
        shares("flow_by_kind").alias("by_kind"),
        F.transform(
            F.coalesce(
                F.col("top_flows"),
                F.array().cast(
                    "array<struct<position:int,src:string,primary:struct<network:string,account_id:string>,flow:double>>"
                ),
            ),
            lambda t: F.struct(
                t["src"].alias("person_id"),
                t["primary"]["network"].alias("network"),
                t["primary"]["account_id"].alias("account_id"),
                (t["flow"] / total).alias("share"),
            ),
        ).alias("top_engagers"),
    )
    return (
        scored.join(incoming, on="id", how="left")
        .join(_shares_map(flows, "network"), on="id", how="left")
        .join(_shares_map(flows, "kind"), on="id", how="left")
        .join(top, on="id", how="left")
        .withColumn("explanation", explanation)
        .drop("engaged_rank", "flow_by_network", "flow_by_kind", "top_flows")
    )


def with_model_stamp(scored: DataFrame, model_version: str, config_hash: str) -> DataFrame:
    return scored.withColumns({"model_version": F.lit(model_version), "config_hash": F.lit(config_hash)})


def to_influence_scores(scored: DataFrame, run_date: dt.date) -> DataFrame:
    return scored.select(F.lit(run_date).alias("run_date"), *[n for n in INFLUENCE_SCORES.columns if n != "run_date"])


def to_profiles(scores: DataFrame, privacy_key: bytes) -> DataFrame:
    """One current row per person, from one run date's scores, with its pseudonymous profile_key."""
    return scores.select(
        *[n for n in PROFILES.columns if n not in ("as_of_date", "profile_key")],
        F.col("run_date").alias("as_of_date"),
        profile_key(F.col("person_id"), privacy_key).alias("profile_key"),
    )


def baseline_rank(damping: float, redistributed_mass: float, vertex_count: int) -> float:
    """The rank every person receives from teleport and the redistributed mass (uniform teleport)."""
    return (damping * redistributed_mass + 1.0 - damping) / vertex_count if vertex_count else math.nan

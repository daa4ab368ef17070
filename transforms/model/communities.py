"""Communities of the interaction graph: label propagation's labels -> stable ids, sizes, the share of
each person's rank that comes from inside their community, and one summary row per community.

GraphFrames' label propagation (influence.communities) gives each vertex a label; a label is an
internal number that can change from night to night, so a community is named after its smallest person
id, as a keyed hash (like profile_key): the same members give the same id night after night, and the id
names no person (an erasure leaves it as it is).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window, functions as F

from transforms.model.scoring import per_engager_flows
from transforms.privacy import keyed_hash

COMMUNITY_PREFIX = "community:"  # community_id = "c-" + HMAC(key, COMMUNITY_PREFIX + smallest person id)[:16]


def most_frequent(labels: Column) -> Column:
    """The label that occurs most often in `labels` (an array of strings), the smallest on a tie; null for
    null or an empty array. One pass over the sorted array: the longest run of equal labels wins."""
    start = F.struct(
        F.lit(None).cast("string").alias("best"),
        F.lit(0).alias("best_count"),
        F.lit(None).cast("string").alias("current"),
        F.lit(0).alias("run"),
    )

    def step(state: Column, label: Column) -> Column:
        run = F.when(state["current"] == label, state["run"] + 1).otherwise(F.lit(1))
        longer = run > state["best_count"]  # strictly: in ascending order the first label to a count keeps it
        return F.struct(
            F.when(longer, label).otherwise(state["best"]).alias("best"),
            F.when(longer, run).otherwise(state["best_count"]).alias("best_count"),
            label.alias("current"),
            run.alias("run"),
        )

    return F.aggregate(F.array_sort(labels), start, step, lambda state: state["best"])


def to_communities(labels: DataFrame, key: bytes) -> DataFrame:
    """labels: id, label -> id, community_id, community_size."""
    community = Window.partitionBy("label")
    smallest = F.min("id").over(community)
    return labels.select(
        "id",
        F.concat(F.lit("c-"), F.substring(keyed_hash(F.concat(F.lit(COMMUNITY_PREFIX), smallest), key), 1, 16)).alias(
            "community_id"
        ),
        F.count(F.lit(1)).over(community).alias("community_size"),
    )


def to_community_shares(flows: DataFrame, communities: DataFrame, baseline_rank: float) -> DataFrame:
    """id, community_share: the share of a person's rank that engagement from their own community sent
    (flows: dst, src, flow as transforms.model.scoring.to_counted_flows; the rank is the baseline plus
    every flow in, the counted rank, as in the explanation). 0 for a person nobody in their community engages with."""
    member = communities.select("id", "community_id")
    per_target = (
        per_engager_flows(flows)
        .join(member.select(F.col("id").alias("dst"), F.col("community_id").alias("dst_community")), on="dst")
        .join(member.select(F.col("id").alias("src"), F.col("community_id").alias("src_community")), on="src", how="left")
        .groupBy(F.col("dst").alias("id"))
        .agg(
            F.sum("flow").alias("engaged_rank"),
            F.sum(F.when(F.col("src_community") == F.col("dst_community"), F.col("flow")).otherwise(0.0)).alias("own_flow"),
        )
    )
    return per_target.select("id", (F.col("own_flow") / (F.lit(baseline_rank) + F.col("engaged_rank"))).alias("community_share"))


def to_community_table(scores: DataFrame, top_persons: int, top_topics: int) -> DataFrame:
    """One row per community of one night's scores (influence_scores rows with community_id):
    community_id, size, top_persons (the highest scores: person_id, network, account_id, score), top_topics
    (the topics most of its members hold: topic_id, name, persons), as_of_date."""
    members = scores.filter(F.col("community_id").isNotNull())
    by_score = Window.partitionBy("community_id").orderBy(F.col("score").desc(), F.col("pagerank").desc(), F.col("person_id"))
    leaders = (
        members.withColumn("position", F.row_number().over(by_score))
        .filter(F.col("position") <= top_persons)
        .groupBy("community_id")
        .agg(F.sort_array(F.collect_list(F.struct("position", "person_id", "network", "account_id", "score"))).alias("leaders"))
    )
    topic_persons = (
        members.select("community_id", "person_id", F.explode("topics").alias("topic"))
        .groupBy("community_id", F.col("topic.topic_id").alias("topic_id"), F.col("topic.name").alias("name"))
        .agg(F.countDistinct("person_id").alias("persons"))
    )
    by_persons = Window.partitionBy("community_id").orderBy(F.col("persons").desc(), F.col("topic_id"))
    topics = (
        topic_persons.withColumn("position", F.row_number().over(by_persons))
        .filter(F.col("position") <= top_topics)
        .groupBy("community_id")
        .agg(F.sort_array(F.collect_list(F.struct("position", "topic_id", "name", "persons"))).alias("ranked_topics"))
    )
    sizes = members.groupBy("community_id").agg(F.count(F.lit(1)).alias("size"), F.max("run_date").alias("as_of_date"))
    return (
        sizes.join(leaders, on="community_id", how="left")
        .join(topics, on="community_id", how="left")
        .select(
            "community_id",
            "size",
            F.transform(
                "leaders",
                lambda p: F.struct(
                    p["person_id"].alias("person_id"),
                    p["network"].alias("network"),
                    p["account_id"].alias("account_id"),
                    p["score"].alias("score"),
                ),
            ).alias("top_persons"),
            F.transform(
                F.coalesce(
                    F.col("ranked_topics"),
                    F.array().cast("array<struct<position:int,topic_id:string,name:string,persons:bigint>>"),
                ),
                lambda t: F.struct(t["topic_id"].alias("topic_id"), t["name"].alias("name"), t["persons"].alias("persons")),
            ).alias("top_topics"),
            "as_of_date",
        )
    )

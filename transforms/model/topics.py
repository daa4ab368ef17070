"""Topics of expertise and moments: what a person's engaged-with posts are about, and the best of them.

A post's engagement is rank-weighted: every interaction received on it counts its model weight times the
engager's relative_rank (1 = a person nobody engages with), so a reshare by an influential person counts more.
Engagement a post's public counters report beyond the interactions the lake holds (a tweet retweeted 40
times of which the dump holds 3) counts as engagers of average rank. docs/model.md#topics explains it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, Window, functions as F

from transforms.model.graph import person_of_account

# Accent folding for the taxonomy's four languages (and neighbours): same-length strings for translate().
_ACCENTED = "àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőœùúûüūůűųýÿžźżšśşßğ"
_PLAIN = "aaaaaaaaacccdeeeeeeeeiiiiiilnnnooooooooouuuuuuuuyyzzzssssg"
if len(_ACCENTED) != len(_PLAIN):
    raise AssertionError("accent folding tables differ in length")
_NOT_WORD = r"[^\p{L}\p{N}]+"
# The public counters of a post, by the interaction kind each counts.
PUBLIC_COUNTERS = {"reshare": "reshare_count", "reply": "reply_count", "quote": "quote_count", "like": "like_count"}


def folded(text: Column) -> Column:
    """Lower case, accents removed: matching is accent- and case-insensitive."""
    return F.translate(F.lower(text), _ACCENTED, _PLAIN)


def words_of(text: Column) -> Column:
    return F.filter(F.split(folded(F.coalesce(text, F.lit(""))), _NOT_WORD), lambda w: w != "")


def terms_of(words: Column) -> Column:
    """The distinct words and their pairs of consecutive words ("election presidentielle"). `words` is a column of
    `words_of`, computed in a select of its own: read five times here, its expression would split the text five
    times."""
    pairs = F.greatest(F.size(words) - 1, F.lit(0))
    bigrams = F.zip_with(F.slice(words, 1, pairs), F.slice(words, 2, pairs), lambda a, b: F.concat_ws(" ", a, b))
    return F.array_distinct(F.concat(words, bigrams))


def hashtag_key(tag: Column) -> Column:
    return F.regexp_replace(folded(tag), _NOT_WORD, "")


def to_topic_keys(taxonomy: DataFrame) -> DataFrame:
    """taxonomy rows (topic_id, name, match: 'term' | 'hashtag', value) -> topic_id, match, key (folded)."""
    key = F.when(F.col("match") == "hashtag", hashtag_key(F.col("value"))).otherwise(F.array_join(words_of(F.col("value")), " "))
    return taxonomy.select("topic_id", "match", key.alias("key")).filter(F.col("key") != "").distinct()


def to_post_topics(posts: DataFrame, topic_keys: DataFrame) -> DataFrame:
    """network, post_id, topic_id for every topic a post's text or hashtags name."""
    keys = F.broadcast(topic_keys)
    by_text = (
        posts.select("network", "post_id", words_of(F.col("text")).alias("words"))
        .select("network", "post_id", F.explode(terms_of(F.col("words"))).alias("key"))
        .join(keys.filter(F.col("match") == "term"), on="key", how="inner")
    )
    by_hashtag = (
        posts.select("network", "post_id", F.explode(F.coalesce(F.col("hashtags"), F.array().cast("array<string>"))).alias("tag"))
        .select("network", "post_id", hashtag_key(F.col("tag")).alias("key"))
        .join(keys.filter(F.col("match") == "hashtag"), on="key", how="inner")
    )
    return (
        by_text.select("network", "post_id", "topic_id")
        .unionByName(by_hashtag.select("network", "post_id", "topic_id"))
        .distinct()
    )


def with_author_person(posts: DataFrame, links: DataFrame | None) -> DataFrame:
    own = person_of_account(F.col("p.network"), F.col("p.author"))
    if links is None:
        return posts.alias("p").select("p.*", own.alias("person_id"))
    lookup = F.broadcast(links.select("network", "account_id", "person_id")).alias("l")
    return (
        posts.alias("p")
        .join(lookup, (F.col("p.network") == F.col("l.network")) & (F.col("p.author") == F.col("l.account_id")), "left")
        .select("p.*", F.coalesce(F.col("l.person_id"), own).alias("person_id"))
    )


def to_post_engagement(
    posts: DataFrame,
    persons: DataFrame,
    ranked: DataFrame,
    kind_weights: Mapping[str, float] | None,
    links: DataFrame | None = None,
) -> DataFrame:
    """One row per post with engagement: network, post_id, person_id (the author's person), created_at,
    engagements (interactions held + counted beyond them), weighted_engagement.

    posts: silver posts of the window with `decay` (the model's decay at the post's age); persons:
    with_persons output with model weights; ranked: id, relative_rank.
    """
    engager_rank = ranked.select(F.col("id").alias("actor_person"), "relative_rank")
    observed = (
        persons.filter(F.col("target_post_id").isNotNull() & (F.col("actor_person") != F.col("target_person")))
        .join(engager_rank, on="actor_person", how="inner")
        .groupBy("network", F.col("target_post_id").alias("post_id"))
        .agg(
            F.count(F.lit(1)).alias("observed"),
            F.sum(F.col("weight") * F.col("relative_rank")).alias("observed_weighted"),
            *[F.count(F.when(F.col("kind") == kind, 1)).alias(f"observed_{kind}") for kind in PUBLIC_COUNTERS],
        )
    )
    authored = with_author_person(posts.filter(F.col("author").isNotNull()), links)
    joined = authored.join(observed, on=["network", "post_id"], how="left").fillna(
        0, subset=["observed", "observed_weighted", *[f"observed_{kind}" for kind in PUBLIC_COUNTERS]]
    )

    def beyond(kind: str) -> Column:
        return F.greatest(F.coalesce(F.col(PUBLIC_COUNTERS[kind]), F.lit(0)) - F.col(f"observed_{kind}"), F.lit(0))

    unseen_count = sum((beyond(kind) for kind in PUBLIC_COUNTERS), F.lit(0))
    unseen_weight = sum(
        (beyond(kind) * F.lit((kind_weights or {}).get(kind, 1.0)) for kind in PUBLIC_COUNTERS), F.lit(0.0)
    ) * F.col("decay")
    return joined.select(
        "network",
        "post_id",
        "person_id",
        "created_at",
        (F.col("observed") + unseen_count).cast("long").alias("engagements"),
        (F.col("observed_weighted") + unseen_weight).alias("weighted_engagement"),
    ).filter(F.col("weighted_engagement") > 0)


def to_person_topics(post_engagement: DataFrame, post_topics: DataFrame, topic_names: DataFrame, top: int) -> DataFrame:
    """id, topics: the person's top topics, each with authority 0-100 (log of the person's rank-weighted
    engagement on the topic, 100 = the most engaged-with person on that topic tonight) and posts."""
    per_topic = (
        post_engagement.join(post_topics, on=["network", "post_id"], how="inner")
        .groupBy("person_id", "topic_id")
        .agg(F.sum("weighted_engagement").alias("topic_engagement"), F.countDistinct("network", "post_id").alias("posts"))
    )
    best = Window.partitionBy("topic_id")
    ranked = per_topic.withColumn(
        "authority", F.round(F.lit(100.0) * F.log1p("topic_engagement") / F.max(F.log1p("topic_engagement")).over(best), 1)
    ).join(F.broadcast(topic_names), on="topic_id", how="left")
    order = Window.partitionBy("person_id").orderBy(F.col("topic_engagement").desc(), "topic_id")
    kept = ranked.withColumn("position", F.row_number().over(order)).filter(F.col("position") <= top)
    return kept.groupBy(F.col("person_id").alias("id")).agg(
        F.transform(
            F.sort_array(F.collect_list(F.struct("position", "topic_id", "name", "authority", "posts"))),
            lambda t: F.struct(
                t["topic_id"].alias("topic_id"),
                t["name"].alias("name"),
                t["authority"].alias("authority"),
                t["posts"].alias("posts"),
            ),
        ).alias("topics")
    )


def to_moments(post_engagement: DataFrame, top: int) -> DataFrame:
    """id, moments: the person's posts with the most rank-weighted engagement in the window."""
    order = Window.partitionBy("person_id").orderBy(F.col("weighted_engagement").desc(), "network", "post_id")
    kept = post_engagement.withColumn("position", F.row_number().over(order)).filter(F.col("position") <= top)
    return kept.groupBy(F.col("person_id").alias("id")).agg(
        F.transform(
            F.sort_array(
                F.collect_list(F.struct("position", "network", "post_id", "created_at", "engagements", "weighted_engagement"))
            ),
            lambda m: F.struct(
                m["network"].alias("network"),
                m["post_id"].alias("post_id"),
                m["created_at"].alias("created_at"),
                m["engagements"].alias("engagements"),
                m["weighted_engagement"].alias("weighted_engagement"),
            ),
        ).alias("moments")
    )

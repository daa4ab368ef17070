"""Interactions -> the influence graph, and one step of weighted PageRank on it.

Vertices and edges follow the GraphFrames convention (`id`; `src`, `dst`), so the same frames feed
GraphFrames' algorithms. Vertices are persons: an account linked to a person (silver identity_links)
is that person, any other account is its own person `<network>:<account_id>`. An edge points from the
person who engages to the person engaged with (A retweets B: A -> B), so rank flows to the engaged.
"""

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def person_of_account(network: Column, account_id: Column) -> Column:
    """The person id of an account without an identity link: `<network>:<account_id>`."""
    return F.concat_ws(":", network, account_id)


def with_persons(interactions: DataFrame, links: DataFrame | None = None) -> DataFrame:
    """actor_person and target_person: the linked person, else the account's own person id.

    links: (network, account_id, person_id), silver identity_links; small, so it is broadcast.
    Interactions whose target is still unknown (pending) are left out: they cannot be an edge yet.
    """
    known = interactions.filter(F.col("target").isNotNull())
    if links is None:
        return known.withColumns({
            "actor_person": person_of_account(F.col("network"), F.col("actor")),
            "target_person": person_of_account(F.col("network"), F.col("target")),
        })
    lookup = F.broadcast(links.select("network", "account_id", "person_id"))
    with_actor = known.alias("i").join(
        lookup.alias("a"), (F.col("i.network") == F.col("a.network")) & (F.col("i.actor") == F.col("a.account_id")), how="left"
    ).select("i.*", F.coalesce(F.col("a.person_id"), person_of_account(F.col("i.network"), F.col("i.actor"))).alias("actor_person"))
    return with_actor.alias("i").join(
        lookup.alias("t"), (F.col("i.network") == F.col("t.network")) & (F.col("i.target") == F.col("t.account_id")), how="left"
    ).select("i.*", F.coalesce(F.col("t.person_id"), person_of_account(F.col("i.network"), F.col("i.target"))).alias("target_person"))


def to_vertices(interactions: DataFrame, links: DataFrame | None = None) -> DataFrame:
    """One vertex per person seen as actor or target (self-loop-only persons included), with its
    accounts, the most engaged-with first (ties by network, account_id): id, accounts."""
    persons = with_persons(interactions, links)
    sides = [
        persons.select(
            F.col(f"{side}_person").alias("id"), "network", F.col(side).alias("account_id"),
            (F.lit(side == "target") & (F.col("actor_person") != F.col("target_person"))).cast("long").alias("received"),
        )
        for side in ("actor", "target")
    ]
    per_account = sides[0].unionByName(sides[1]).groupBy("id", "network", "account_id").agg(F.sum("received").alias("received"))
    ordered = F.sort_array(F.collect_list(F.struct((-F.col("received")).alias("order"), "network", "account_id")))
    return per_account.groupBy("id").agg(
        F.transform(ordered, lambda a: F.struct(a["network"].alias("network"), a["account_id"].alias("account_id"))).alias("accounts")
    )


def to_edges(interactions: DataFrame, links: DataFrame | None = None) -> DataFrame:
    """Self-loops (a person engaging with themselves, on any of their accounts) dropped; repeated
    (actor, target) person pairs aggregated into one weighted edge."""
    return (
        with_persons(interactions, links)
        .filter(F.col("actor_person") != F.col("target_person"))
        .groupBy(F.col("actor_person").alias("src"), F.col("target_person").alias("dst"))
        .agg(F.sum("weight").alias("weight"), F.count(F.lit(1)).alias("interactions"))
    )


def with_transition_share(edges: DataFrame) -> DataFrame:
    """Each edge's share of its source's total out-weight: the transition probability src -> dst."""
    out_weight = edges.groupBy("src").agg(F.sum("weight").alias("out_weight"))
    return edges.join(out_weight, on="src", how="inner").select(
        "src", "dst", (F.col("weight") / F.col("out_weight")).alias("share")
    )


def initial_ranks(vertices: DataFrame, transitions: DataFrame, vertex_count: int) -> DataFrame:
    """Uniform start 1/N; a vertex is dangling when it has no out-edge."""
    sources = transitions.select(F.col("src").alias("id")).distinct().withColumn("has_out_edges", F.lit(True))
    return vertices.join(sources, on="id", how="left").select(
        "id",
        F.col("has_out_edges").isNull().alias("is_dangling"),
        F.lit(1.0 / vertex_count).alias("rank"),
    )


def pagerank_step(
    ranks: DataFrame, transitions: DataFrame, damping: float, vertex_count: int, dangling_mass: float
) -> DataFrame:
    """One power iteration, as networkx.pagerank defines it:

    x'(v) = d * sum_{u->v} x(u) * w(u,v) / W(u) + (d * dangling_mass + 1 - d) / N,
    where dangling_mass is the total rank held by vertices without out-edges (spread uniformly).
    Keeps the previous rank as `previous_rank` for the convergence test.
    """
    messages = ranks.select(F.col("id").alias("src"), "rank").join(transitions, on="src", how="inner").select(
        F.col("dst").alias("id"),
        (F.col("rank") * F.col("share")).alias("received"),
        F.lit(None).cast("boolean").alias("is_dangling"),
        F.lit(None).cast("double").alias("previous_rank"),
    )
    # Every vertex sends itself an empty message carrying its own state, so one aggregation
    # (instead of a second join) gives each vertex its incoming rank and its previous values.
    own_state = ranks.select("id", F.lit(0.0).alias("received"), "is_dangling", F.col("rank").alias("previous_rank"))
    teleport = (damping * dangling_mass + 1.0 - damping) / vertex_count
    return (
        own_state.unionByName(messages)
        .groupBy("id")
        .agg(
            F.max("is_dangling").alias("is_dangling"),
            (F.lit(damping) * F.sum("received") + F.lit(teleport)).alias("rank"),
            F.max("previous_rank").alias("previous_rank"),
        )
    )


def convergence_stats(ranks: DataFrame) -> DataFrame:
    """One row: L1 change since the previous step, and the rank mass held by dangling vertices."""
    return ranks.agg(
        F.sum(F.abs(F.col("rank") - F.col("previous_rank"))).alias("l1_change"),
        F.coalesce(F.sum(F.when(F.col("is_dangling"), F.col("rank"))), F.lit(0.0)).alias("dangling_mass"),
    )

"""Interactions -> the influence graph, and one step of weighted PageRank on it.

Vertices and edges follow the GraphFrames convention (`id`; `src`, `dst`), so the same frames feed
GraphFrames' algorithms. Vertices are persons: an account linked to a person (silver identity_links)
is that person, any other account is its own person `<network>:<account_id>`. An edge points from the
person who engages to the person engaged with (A retweets B: A -> B), so rank flows to the engaged.
"""

from pyspark.sql import Column, DataFrame, Window, functions as F


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
        return known.withColumns(
            {
                "actor_person": person_of_account(F.col("network"), F.col("actor")),
                "target_person": person_of_account(F.col("network"), F.col("target")),
            }
        )
    lookup = F.broadcast(links.select("network", "account_id", "person_id"))
    with_actor = (
        known.alias("i")
        .join(
            lookup.alias("a"),
            (F.col("i.network") == F.col("a.network")) & (F.col("i.actor") == F.col("a.account_id")),
            how="left",
        )
        .select(
            "i.*", F.coalesce(F.col("a.person_id"), person_of_account(F.col("i.network"), F.col("i.actor"))).alias("actor_person")
        )
    )
    return (
        with_actor.alias("i")
        .join(
            lookup.alias("t"),
            (F.col("i.network") == F.col("t.network")) & (F.col("i.target") == F.col("t.account_id")),
            how="left",
        )
        .select(
            "i.*",
            F.coalesce(F.col("t.person_id"), person_of_account(F.col("i.network"), F.col("i.target"))).alias("target_person"),
        )
    )


def to_vertices(interactions: DataFrame, links: DataFrame | None = None) -> DataFrame:
    """One vertex per person seen as actor or target (self-loop-only persons included), with its
    accounts, the most engaged-with first (ties by network, account_id): id, accounts."""
    return vertices_of(with_persons(interactions, links))


def vertices_of(persons: DataFrame) -> DataFrame:
    """to_vertices from with_persons output (when the caller already has it)."""
    sides = [
        persons.select(
            F.col(f"{side}_person").alias("id"),
            "network",
            F.col(side).alias("account_id"),
            (F.lit(side == "target") & (F.col("actor_person") != F.col("target_person"))).cast("long").alias("received"),
        )
        for side in ("actor", "target")
    ]
    per_account = sides[0].unionByName(sides[1]).groupBy("id", "network", "account_id").agg(F.sum("received").alias("received"))
    ordered = F.sort_array(F.collect_list(F.struct((-F.col("received")).alias("order"), "network", "account_id")))
    return per_account.groupBy("id").agg(
        F.transform(ordered, lambda a: F.struct(a["network"].alias("network"), a["account_id"].alias("account_id"))).alias(
            "accounts"
        )
    )


def to_edges(interactions: DataFrame, links: DataFrame | None = None) -> DataFrame:
    """Self-loops (a person engaging with themselves, on any of their accounts) dropped; repeated
    (actor, target) person pairs aggregated into one weighted edge."""
    return edges_of(with_persons(interactions, links))


def edges_of(persons: DataFrame) -> DataFrame:
    """to_edges from with_persons output (when the caller already has it)."""
    return (
        persons.filter(F.col("actor_person") != F.col("target_person"))
        .groupBy(F.col("actor_person").alias("src"), F.col("target_person").alias("dst"))
        .agg(F.sum("weight").alias("weight"), F.count(F.lit(1)).alias("interactions"))
    )


def with_transition_share(edges: DataFrame, votes: DataFrame | None = None) -> DataFrame:
    """Each edge's share of its source's total out-weight: the transition probability src -> dst,
    times the edge's discount when the edges carry one (transforms.model.trust.with_discounts) and the
    source's vote (id, vote in [0, 1]) when votes are given. What a vertex does not send is spread like
    a dangling vertex's rank (initial_ranks' `kept`)."""
    out_weight = edges.groupBy("src").agg(F.sum("weight").alias("out_weight"))
    share = F.col("weight") / F.col("out_weight")
    if "discount" in edges.columns:
        share = share * F.col("discount")
    shares = edges.join(out_weight, on="src", how="inner").select("src", "dst", share.alias("share"))
    if votes is None:
        return shares
    return shares.join(votes.select(F.col("id").alias("src"), "vote"), on="src", how="left").select(
        "src", "dst", (F.col("share") * F.coalesce(F.col("vote"), F.lit(1.0))).alias("share")
    )


def initial_ranks(
    vertices: DataFrame,
    transitions: DataFrame,
    vertex_count: int,
    teleport: DataFrame | None = None,
    start: DataFrame | None = None,
) -> DataFrame:
    """Per vertex: kept, the share of its rank it sends along its edges (the sum of its transitions'
    shares: its vote times its edges' discounts, 0 when dangling); teleport, its share of the
    redistributed rank (uniform 1/N, or the normalised `teleport` weights: id, teleport); rank, where the
    power iteration starts: uniform 1/N, or a warm start (id, rank: last night's ranks) where a vertex
    without one starts at 1/N, renormalised to sum 1. transitions: with_transition_share output."""
    sent = transitions.groupBy(F.col("src").alias("id")).agg(F.sum("share").alias("sent_share"))
    state = vertices.join(sent, on="id", how="left")
    share = F.lit(1.0 / vertex_count)
    if teleport is not None:
        weights = teleport.groupBy("id").agg(F.sum("teleport").alias("teleport_weight"))
        total = weights.agg(F.sum("teleport_weight").alias("teleport_total"))
        state = state.join(weights, on="id", how="left").crossJoin(F.broadcast(total))
        share = F.coalesce(F.col("teleport_weight"), F.lit(0.0)) / F.col("teleport_total")
    rank = F.lit(1.0 / vertex_count)
    if start is not None:
        state = state.join(start.select("id", F.col("rank").alias("start_rank")), on="id", how="left")
        unnormalised = F.coalesce(F.col("start_rank"), F.lit(1.0 / vertex_count))
        rank = unnormalised / F.sum(unnormalised).over(whole_graph())
    return state.select(
        "id",
        F.coalesce(F.col("sent_share"), F.lit(0.0)).alias("kept"),
        share.alias("teleport"),
        rank.alias("rank"),
    )


def whole_graph() -> Window:
    """PageRank's global terms (the mass to redistribute, the L1 change) are sums over every vertex: a
    window over the whole graph keeps them inside one select, so each iteration is one Pregel step."""
    return Window.partitionBy()


def unsent_mass(rank: Column) -> Column:
    """R, the redistributed mass: the rank dangling vertices hold plus the part (1 - kept) the others do
    not send along their edges (votes below 1, discounted edges; needs the vertex column `kept`)."""
    return F.sum(rank * (F.lit(1.0) - F.col("kept"))).over(whole_graph())


def next_rank(incoming: Column, redistributed_mass: Column, damping: float) -> Column:
    """One power iteration, as networkx.pagerank defines it (with a personalization vector p):

    x'(v) = d * sum_{u->v} x(u) * vote(u) * w(u,v) / W(u) + p(v) * (d * R + 1 - d),
    where incoming is the sum (null when nothing arrives) and R the redistributed mass (unsent_mass).
    With every vote 1 and p uniform this is networkx's pagerank(G, alpha=d, weight="weight"); with a
    personalization, networkx's with dangling=p. Needs the vertex column `teleport` (p).
    """
    return F.lit(damping) * F.coalesce(incoming, F.lit(0.0)) + F.col("teleport") * (
        F.lit(damping) * redistributed_mass + F.lit(1.0 - damping)
    )


def l1_change(new_rank: Column, rank: Column) -> Column:
    """The L1 norm of the change of the whole rank vector (networkx stops when it is below N * tol)."""
    return F.sum(F.abs(new_rank - rank)).over(whole_graph())

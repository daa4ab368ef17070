"""The influence model end to end on generated graphs (stages.score.score_night): explanations by hand and
against networkx, resistance to farms of every shape, and stability when 1% new interactions arrive."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import statistics

import networkx as nx
import pytest

from influence.config import load_config
from influence.tables import IDENTITY_LINKS, INTERACTIONS, POSTS
from stages.score import build_graph, score_night
from tests.support import farms

RUN_DATE = dt.date(2024, 3, 10)
NOON = dt.datetime(2024, 3, 10, 12, 0)


def interaction(index, actor, target, kind="reshare", weight=1.0, when=NOON):
    return (f"i{index}", "snap", actor, target, kind, when, weight, None, None, "snap", "generated", index, RUN_DATE)


def score(spark, config, rows, links=(), run_date=RUN_DATE):
    """{person_id: row} of the night scored from these interactions and identity links (no posts or history)."""
    interactions = spark.createDataFrame(rows, INTERACTIONS.schema)
    night = score_night(
        spark,
        config,
        run_date,
        interactions,
        spark.createDataFrame(list(links), IDENTITY_LINKS.schema),
        spark.createDataFrame([], POSTS.schema),
        None,
    )
    scored = {row.person_id: row for row in night.scores.collect()}  # test-sized graphs
    night.release()
    return scored


def plain_config(**model_changes):
    """No decay, no kind weights, no trust, ranks converged to 1e-10: standard weighted PageRank, so
    networkx (tol 1e-12) is the reference."""
    config = load_config(lake="/nonexistent-lake")
    config = config.replace(pagerank=dataclasses.replace(config.pagerank, max_error=1e-10))
    model = dataclasses.replace(
        config.model,
        half_life_days=0.0,
        use_kind_weights=False,
        trust=dataclasses.replace(config.model.trust, enabled=False),
        **model_changes,
    )
    return config.replace(model=model)


# Explanation


def test_explanation_shares_by_hand_from_networkx_ranks(spark):
    # a reshares t; b mentions t (weight 1) and replies to a (weight 3); t is dangling.
    rows = [
        interaction(1, "a", "t", "reshare"),
        interaction(2, "b", "t", "mention"),
        interaction(3, "b", "a", "reply", weight=3.0),
    ]
    scored = score(spark, plain_config(), rows)
    graph = nx.DiGraph([("a", "t", {"weight": 1.0}), ("b", "t", {"weight": 1.0}), ("b", "a", {"weight": 3.0})])
    x = nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-12)
    baseline = (0.85 * x["t"] + 0.15) / 3  # t dangles: its rank is spread, with the teleport, over 3 persons
    from_a, from_b = 0.85 * x["a"], 0.85 * x["b"] * 1 / 4
    # the shares are of the rank the score counts: a, the biggest engager, counts for no more than b
    assert from_a > from_b
    counted_a = from_b
    total = baseline + counted_a + from_b
    t = scored["snap:t"].explanation
    assert dict(t.by_kind) == pytest.approx(
        {"baseline": baseline / total, "reshare": counted_a / total, "mention": from_b / total}
    )
    assert dict(t.by_network) == pytest.approx({"baseline": baseline / total, "snap": (counted_a + from_b) / total})
    assert [(e.person_id, e.account_id) for e in t.top_engagers] == [("snap:a", "a"), ("snap:b", "b")]
    assert [e.share for e in t.top_engagers] == pytest.approx([counted_a / total, from_b / total])
    assert scored["snap:t"].top_engager_share == pytest.approx(counted_a / total)
    assert scored["snap:t"].relative_rank == pytest.approx(total / baseline, rel=1e-5)
    # b: nobody engages with b, so its rank is all baseline
    assert dict(scored["snap:b"].explanation.by_kind) == {"baseline": 1.0}
    assert scored["snap:t"].pagerank == pytest.approx(x["t"], abs=1e-6)


# The graph in the driver


def test_the_graph_stage_fetches_the_graph_to_the_driver_for_the_local_engines_only(spark):
    """The local engines of trust, pagerank and communities share one copy of the graph, fetched by the graph
    stage: the same persons and edges as its frames (the self-engagement dropped, the repeated pair summed)."""
    rows = [
        interaction(1, "a", "t"),
        interaction(2, "b", "t", "mention"),
        interaction(3, "b", "a", "reply", weight=3.0),
        interaction(4, "b", "a", "reply", weight=0.5),
        interaction(5, "a", "a"),
    ]
    interactions = spark.createDataFrame(rows, INTERACTIONS.schema)
    defaults = load_config(lake="/nonexistent-lake")

    def with_engine(engine):
        return defaults.replace(pagerank=dataclasses.replace(defaults.pagerank, engine=engine))

    graph = build_graph(with_engine("local"), interactions, None)
    fetched = graph.in_driver
    assert (graph.engine.engine, fetched.ids.to_pylist()) == ("local", ["snap:a", "snap:b", "snap:t"])
    ends = zip(fetched.ids.take(fetched.sources).to_pylist(), fetched.ids.take(fetched.targets).to_pylist())
    assert dict(zip(ends, fetched.edge_values["weight"].tolist())) == {
        ("snap:a", "snap:t"): 1.0,
        ("snap:b", "snap:t"): 1.0,
        ("snap:b", "snap:a"): 3.5,
    }
    graph.release()
    on_graphframes = build_graph(with_engine("graphframes"), interactions, None)
    assert (on_graphframes.engine.engine, on_graphframes.in_driver) == ("graphframes", None)
    on_graphframes.release()


# Anti-gaming


GENUINE_ENGAGERS = [f"r{n}" for n in range(10, 60)]  # established readers: three creators each, on earlier days


def target_raw_score(spark, config, world) -> float:
    """t's raw score (1-100, unrounded): the person holding the snap account t (linked or not)."""
    scored = score(spark, config, world.interactions, world.links)
    return next(row.raw_score for row in scored.values() if ("snap", "t") in [tuple(a) for a in row.accounts])


@pytest.fixture(scope="module")
def gaming(spark):
    """t's raw score in the generated world (tests/support/farms.py), with 50 genuine reshares, and with
    each farm shape of 1,000 fresh accounts; and, with trust off, base, star farm and genuine."""
    defaults = load_config(lake="/nonexistent-lake")
    # communities do not change a rank; off, each night costs less
    config = defaults.replace(
        model=dataclasses.replace(defaults.model, communities=dataclasses.replace(defaults.model.communities, enabled=False))
    )
    without_trust = config.replace(
        model=dataclasses.replace(config.model, trust=dataclasses.replace(config.model.trust, enabled=False))
    )
    base = farms.genuine_world(RUN_DATE)
    genuine = farms.with_genuine_engagement(base, GENUINE_ENGAGERS)
    results = {
        ("trust", "base"): target_raw_score(spark, config, base),
        ("trust", "genuine"): target_raw_score(spark, config, genuine),
    }
    for shape in farms.FARM_SHAPES:
        results["trust", shape] = target_raw_score(spark, config, farms.with_farm(base, shape))
    for name, world in (("base", base), ("genuine", genuine), ("star", farms.with_farm(base, "star"))):
        results["no_trust", name] = target_raw_score(spark, without_trust, world)
    return results


@pytest.mark.parametrize("shape", farms.FARM_SHAPES)
def test_a_farm_of_1000_fresh_accounts_gains_at_most_a_tenth_of_50_genuine_reshares(gaming, shape):
    """Done-when of docs/model.md#anti-gaming, for every farm shape, measured in the same run."""
    farm_gain = gaming["trust", shape] - gaming["trust", "base"]
    genuine_gain = gaming["trust", "genuine"] - gaming["trust", "base"]
    print(f"\n{shape}: farm {farm_gain:+.2f} points, genuine {genuine_gain:+.2f} (base {gaming['trust', 'base']:.2f})")
    assert genuine_gain > 10
    assert farm_gain <= 0.1 * genuine_gain


def test_without_the_trust_votes_a_star_farm_would_win(gaming):
    """The measure of the anti-gaming: the same star farm beats the genuine reshares when every vote is 1,
    so the test above fails when the defence is off."""
    farm_gain = gaming["no_trust", "star"] - gaming["no_trust", "base"]
    genuine_gain = gaming["no_trust", "genuine"] - gaming["no_trust", "base"]
    print(f"\nwithout trust: farm {farm_gain:+.2f} points, genuine {genuine_gain:+.2f}")
    assert farm_gain > genuine_gain


# Stability


def test_one_percent_new_interactions_barely_move_untouched_persons(spark):
    """Done-when: median change <= 1 point, 99th percentile <= 3, for persons no new interaction touches.

    The graph is networkx's directed scale-free generator (Bollobas et al. 2003), 1,000 persons: most
    persons only engage and a few are engaged with a lot, as in real networks. The 1% added are random
    pairs, so they touch persons anywhere in the graph. At 1,000 persons (3,000 before) 960 persons are
    untouched, with median change 0 and p99 1 (3,000: 2,877 untouched, median 0, p99 1).
    """
    rng = random.Random(11)
    rows = []
    for actor, target in nx.scale_free_graph(1000, seed=11).edges():
        if actor != target:
            rows.append(
                interaction(
                    len(rows),
                    f"p{actor}",
                    f"p{target}",
                    rng.choice(["reshare", "mention", "reply"]),
                    when=NOON - dt.timedelta(hours=rng.randrange(24 * 60)),
                )
            )
    persons = sorted({row[2] for row in rows} | {row[3] for row in rows})
    added, touched = [], set()
    while len(added) < len(rows) // 100:
        actor, target = rng.sample(persons, 2)
        added.append(interaction(len(rows) + len(added), actor, target, "reshare"))
        touched |= {f"snap:{actor}", f"snap:{target}"}
    config = load_config(lake="/nonexistent-lake")
    before, after = score(spark, config, rows), score(spark, config, rows + added)
    changes = sorted(abs(after[p].score - before[p].score) for p in before if p not in touched and p in after)
    p99 = changes[int(0.99 * (len(changes) - 1))]
    print(f"\n{len(changes)} untouched persons: median change {statistics.median(changes)}, p99 {p99}, max {changes[-1]}")
    assert len(changes) > 900
    assert statistics.median(changes) <= 1
    assert p99 <= 3

"""Communities: GraphFrames label propagation turned into stable, keyed ids; the share of a person's rank
from inside their community; the gold/communities rows. Expected values are worked by hand or with networkx."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import networkx as nx
import pytest
from graphframes import GraphFrame
from pyspark.sql import functions as F

from influence.communities import detect_communities
from transforms.model.communities import COMMUNITY_PREFIX, most_frequent, to_communities, to_community_shares, to_community_table
from transforms.privacy import subject_hash

KEY = b"k" * 32


def keyed_id(smallest_member: str) -> str:
    return "c-" + subject_hash(KEY, COMMUNITY_PREFIX + smallest_member)[:16]


def test_labels_become_keyed_ids_named_after_the_smallest_member(spark):
    labels = spark.createDataFrame(
        [("snap:5", 1), ("snap:3", 1), ("snap:9", 1), ("snap:7", 2), ("snap:1", 3)], "id string, label long"
    )
    rows = {row.id: (row.community_id, row.community_size) for row in to_communities(labels, KEY).collect()}
    assert rows == {
        "snap:5": (keyed_id("snap:3"), 3),
        "snap:3": (keyed_id("snap:3"), 3),
        "snap:9": (keyed_id("snap:3"), 3),
        "snap:7": (keyed_id("snap:7"), 1),
        "snap:1": (keyed_id("snap:1"), 1),
    }
    assert all("snap" not in community for community, _ in rows.values())  # the id names nobody


def test_the_same_members_under_other_labels_keep_their_id(spark):
    tonight = spark.createDataFrame([("a", 10), ("b", 10), ("c", 11)], "id string, label long")
    tomorrow = spark.createDataFrame([("a", 4), ("b", 4), ("c", 99)], "id string, label long")
    ids = [{row.id: row.community_id for row in to_communities(frame, KEY).collect()} for frame in (tonight, tomorrow)]
    assert ids[0] == ids[1]


def test_community_share_by_hand(spark):
    # b receives 0.02 from a (same community) and 0.06 from c (other community); baseline 0.02:
    # b's rank 0.02 + 0.08 = 0.10, of which 0.02 from inside its community -> 0.2. c gets nothing -> 0.
    flows = spark.createDataFrame(
        [("b", "a", "snap", "reshare", 0.015), ("b", "a", "snap", "reply", 0.005), ("b", "c", "snap", "reshare", 0.06)],
        "dst string, src string, network string, kind string, flow double",
    )
    communities = spark.createDataFrame(
        [("a", "c-1", 2), ("b", "c-1", 2), ("c", "c-2", 1)], "id string, community_id string, community_size long"
    )
    shares = {row.id: row.community_share for row in to_community_shares(flows, communities, 0.02).collect()}
    assert shares == pytest.approx({"b": 0.2})


def test_community_table_by_hand(spark):
    topic = "struct<topic_id:string,name:string,authority:double,posts:bigint>"
    scores = spark.createDataFrame(
        [
            (dt.date(2012, 7, 1), "p1", "snap", "1", 90, 0.3, "c-1", [("t1", "physics", 100.0, 2)]),
            (dt.date(2012, 7, 1), "p2", "snap", "2", 40, 0.1, "c-1", [("t1", "physics", 50.0, 1), ("t2", "space", 9.0, 1)]),
            (dt.date(2012, 7, 1), "p3", "snap", "3", 40, 0.2, "c-1", [("t2", "space", 100.0, 1)]),
            (dt.date(2012, 7, 1), "p4", "snap", "4", 70, 0.3, "c-2", []),
            (dt.date(2012, 7, 1), "p5", "snap", "5", 10, 0.1, None, []),  # communities off for it: left out
        ],
        f"run_date date, person_id string, network string, account_id string, score int, pagerank double, "
        f"community_id string, topics array<{topic}>",
    )
    rows = {row.community_id: row for row in to_community_table(scores, top_persons=2, top_topics=1).collect()}
    assert set(rows) == {"c-1", "c-2"}
    one = rows["c-1"]
    assert (one.size, one.as_of_date) == (3, dt.date(2012, 7, 1))
    # p1 scores 90; p2 and p3 tie on 40, p3 has the higher pagerank
    assert [(p.person_id, p.score) for p in one.top_persons] == [("p1", 90), ("p3", 40)]
    # t1 and t2 are each held by 2 members: the tie goes to the smaller topic id
    assert [(t.topic_id, t.name, t.persons) for t in one.top_topics] == [("t1", "physics", 2)]
    assert (rows["c-2"].size, [p.person_id for p in rows["c-2"].top_persons], rows["c-2"].top_topics) == (1, ["p4"], [])


def components(edges: list[tuple[str, str]], vertices: list[str]) -> list[set[str]]:
    graph = nx.Graph()
    graph.add_nodes_from(vertices)
    graph.add_edges_from(edges)
    return [set(c) for c in nx.connected_components(graph)]


ENGINES = pytest.mark.parametrize("engine", ["graphframes", "local"])


@ENGINES
def test_label_propagation_finds_two_cliques_and_never_crosses_components(spark, engine):
    """Two groups of 6 where everyone engages everyone, joined by one engagement, plus a separate group of
    4 and an isolated person: each group is one community; no community spans two components."""
    groups = [[f"a{i}" for i in range(6)], [f"b{i}" for i in range(6)], [f"c{i}" for i in range(4)]]
    edges = [(u, v) for group in groups for u in group for v in group if u != v] + [("a0", "b0")]
    names = [v for group in groups for v in group] + ["lonely"]
    vertices = spark.createDataFrame([(v,) for v in names], "id string")
    edge_frame = spark.createDataFrame([(u, v, 1.0) for u, v in edges], "src string, dst string, weight double")
    found = detect_communities(vertices, edge_frame, max_iterations=5, key=KEY, engine=engine)
    rows = found.collect()
    found.unpersist()
    members: dict[str, set[str]] = {}
    for row in rows:
        members.setdefault(row.community_id, set()).add(row.id)
    assert all(row.community_size == len(members[row.community_id]) for row in rows)
    communities = sorted(members.values(), key=lambda m: sorted(m))
    assert communities == [set(groups[0]), set(groups[1]), set(groups[2]), {"lonely"}]
    for community in communities:
        assert any(community <= component for component in components(edges, names))


def label_propagation_by_hand(persons: list[str], edges: list[tuple[str, str]], passes: int) -> dict[str, str]:
    """Synchronous label propagation in plain Python: each pass, every person takes the label their
    neighbours hold most often (one count per edge, either direction, self-engagement ignored), ties to
    the smaller label; a person without neighbours keeps their own. Labels start as the persons' ids."""
    neighbours: dict[str, list[str]] = {person: [] for person in persons}
    for source, target in edges:
        if source != target:
            neighbours[source].append(target)
            neighbours[target].append(source)
    labels = {person: person for person in persons}
    for _ in range(passes):
        after = {}
        for person, around in neighbours.items():
            counts = Counter(labels[other] for other in around)
            most = max(counts.values(), default=0)
            after[person] = min(label for label, count in counts.items() if count == most) if counts else labels[person]
        if after == labels:
            break
        labels = after
    return labels


def groups_of(assignment: dict[str, object]) -> set[frozenset[str]]:
    members: dict[object, set[str]] = {}
    for person, group in assignment.items():
        members.setdefault(group, set()).add(person)
    return {frozenset(group) for group in members.values()}


def random_engagements(seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """A sparse random multigraph (many ties between labels), with repeated pairs, self-engagements and
    persons nobody engages with or who engage nobody."""
    graph = nx.gnm_random_graph(80, 140, seed=seed, directed=True)
    edges = [(f"p{u:02d}", f"p{v:02d}") for u, v in graph.edges()]
    edges += edges[:10] + [("p01", "p01"), ("p02", "p02")]
    return [f"p{n:02d}" for n in range(80)] + ["lonely"], edges


@ENGINES
@pytest.mark.parametrize("seed", [7, 13])
def test_label_propagation_matches_a_hand_computation_on_a_random_multigraph(spark, engine, seed):
    persons, edges = random_engagements(seed=seed)
    vertices = spark.createDataFrame([(p,) for p in persons], "id string")
    expected = groups_of(label_propagation_by_hand(persons, edges, passes=5))
    assert len(expected) > 3  # a graph that does not collapse into one community

    edge_frame = spark.createDataFrame(edges, "src string, dst string")
    found = detect_communities(vertices, edge_frame, max_iterations=5, key=KEY, engine=engine)
    rows = found.collect()
    found.unpersist()
    assert groups_of({row.id: row.community_id for row in rows}) == expected


@ENGINES
def test_label_propagation_matches_graphframes_own_implementation(spark, engine):
    """GraphFrames' own label propagation (algorithm="graphframes") breaks ties by the smaller label too, but
    takes numeric ids and sends labels one way: given the persons numbered in id order and every edge both
    ways, it must find the same communities."""
    persons, edges = random_engagements(seed=3)
    vertices = spark.createDataFrame([(p,) for p in persons], "id string")
    number = {person: n for n, person in enumerate(sorted(persons))}
    both_ways = [(number[u], number[v]) for u, v in edges if u != v] + [(number[v], number[u]) for u, v in edges if u != v]
    labels = GraphFrame(
        spark.createDataFrame([(n,) for n in number.values()], "id long"),
        spark.createDataFrame(both_ways, "src long, dst long"),
    ).labelPropagation(maxIter=5, algorithm="graphframes")
    person = {n: p for p, n in number.items()}
    theirs = {person[row.id]: row.label if row.label is not None else row.id for row in labels.collect()}

    found = detect_communities(
        vertices, spark.createDataFrame(edges, "src string, dst string"), max_iterations=5, key=KEY, engine=engine
    )
    ours = {row.id: row.community_id for row in found.collect()}
    found.unpersist()
    assert groups_of(ours) == groups_of(theirs)
    assert len(groups_of(ours)) > 3


def test_the_most_frequent_label_breaks_ties_by_the_smaller_label(spark):
    cases = [
        (["b", "a", "c", "b", "a"], "a"),  # a and b twice: the smaller
        (["c", "b", "c"], "c"),
        (["z"], "z"),
        ([], None),
        (None, None),
    ]
    frame = spark.createDataFrame([(labels,) for labels, _ in cases], "labels array<string>")
    found = [row.label for row in frame.select(most_frequent(F.col("labels")).alias("label")).collect()]
    assert found == [label for _, label in cases]


def test_communities_do_not_depend_on_partitioning(spark):
    """GraphX's label propagation broke ties in the order messages met, so a cluster found other
    communities than local mode (on this graph, 12 against 21 with 1 or 7 shuffle partitions). The same
    graph with 1 or 7 partitions, in any order, now gives the same ones."""
    persons, edges = random_engagements(seed=11)
    found = []
    configured = spark.conf.get("spark.sql.shuffle.partitions")
    coalescing = spark.conf.get("spark.sql.adaptive.coalescePartitions.enabled")
    # adaptive execution would merge 7 small partitions back into one
    spark.conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false")
    try:
        for partitions, order in ((1, 1), (7, -1)):
            spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
            vertices = spark.createDataFrame([(p,) for p in persons[::order]], "id string").repartition(partitions)
            layout = spark.createDataFrame(edges[::order], "src string, dst string").repartition(partitions)
            communities = detect_communities(vertices, layout, max_iterations=5, key=KEY)
            found.append(sorted(tuple(row) for row in communities.collect()))
            communities.unpersist()
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", configured)
        spark.conf.set("spark.sql.adaptive.coalescePartitions.enabled", coalescing)
    assert found[0] == found[1]


@pytest.mark.parametrize("passes", [1, 2, 5])
def test_both_engines_give_the_same_communities_pass_for_pass(spark, passes):
    """The same ids, community ids and sizes from the driver's arrays as from Pregel, also when the pass cap
    stops them before the labels settle."""
    persons, edges = random_engagements(seed=5)
    vertices = spark.createDataFrame([(p,) for p in persons], "id string")
    edge_frame = spark.createDataFrame(edges, "src string, dst string")
    found = {}
    for engine in ("graphframes", "local"):
        communities = detect_communities(vertices, edge_frame, max_iterations=passes, key=KEY, engine=engine)
        found[engine] = sorted(tuple(row) for row in communities.collect())
        communities.unpersist()
    assert found["local"] == found["graphframes"]
    assert groups_of({row[0]: row[1] for row in found["local"]}) == groups_of(label_propagation_by_hand(persons, edges, passes))

"""Reference computations independent of the pipeline: networkx PageRank of the default model, the
calibrated score, and the model's window written out from docs/model.md in plain Python."""

from __future__ import annotations

import datetime as dt
import json
import math

import networkx as nx

from influence.model import REFERENCE_FILE
from tests.support.snap import JULY_1

KIND_WEIGHTS = {"RT": 1.0, "MT": 0.5, "RE": 0.75}  # reshare, mention, reply: the model's defaults


def expected_pagerank(lines: list[str], run_end: int = JULY_1 + 86_400) -> dict[str, float]:
    """The published pagerank of each person (expected_night's ranks)."""
    return expected_night(lines, run_end)[0]


def expected_night(lines: list[str], run_end: int = JULY_1 + 86_400) -> tuple[dict[str, float], dict[str, float]]:
    """The default model computed with networkx, independently of the pipeline (docs/model.md):
    kind weight x 30-day half-life decay to the end of the run date, self-loops dropped, pairs summed;
    seeds by the seed rule (>= 2 distinct persons engaged; first seen >= 1 day before the end, when the
    window holds anything that old); TrustRank teleporting to them; votes; burst discounts on new
    accounts' engagement; then PageRank on the equivalent graph where each vertex u sends
    vote(u) x discount(u, v) x w(u, v) / W(u) to v and spreads the rest (1 - kept(u)) over every vertex.
    Returns the ranks and each person's relative_rank: the counted rank (the baseline plus what the engagers
    sent, less what the biggest engager sent beyond all the others together) over the baseline rank
    (d R + 1 - d) / N, R the rank not sent along edges."""
    graph, first_seen, events = nx.DiGraph(), {}, []
    for line in lines:
        fields = line.split()
        if len(fields) != 4 or not fields[2].isdigit():
            continue
        actor, target, when = f"snap:{fields[0]}", f"snap:{fields[1]}", int(fields[2])
        graph.add_nodes_from([actor, target])
        age = max((run_end - when) / 86400, 0.0)
        for person in (actor, target):
            first_seen[person] = max(first_seen.get(person, 0.0), age)
        if actor != target:
            weight = KIND_WEIGHTS[fields[3]] * 0.5 ** (age / 30)
            graph.add_edge(actor, target, weight=graph.get_edge_data(actor, target, {"weight": 0.0})["weight"] + weight)
            events.append((actor, target, when // 86400, weight))
    ages_known = max(first_seen.values()) >= 1.0
    new = {v for v in graph if ages_known and first_seen[v] < 1.0}
    seeds = [v for v in graph if graph.out_degree(v) >= 2 and v not in new]
    trust = nx.pagerank(graph, alpha=0.85, personalization={v: 1.0 for v in seeds}, weight="weight")
    full = 0.05 * 0.15 / len(seeds)
    votes = {v: 1.0 if v in seeds else min(1.0, trust[v] / full) for v in graph}
    discount = burst_discounts(events, new, allowance=10)
    equivalent, nodes, kept_by_node, flows = nx.DiGraph(), list(graph), {}, {}
    equivalent.add_nodes_from(nodes)
    for node in nodes:
        out_weight = sum(d["weight"] for _, _, d in graph.out_edges(node, data=True))
        if out_weight == 0:
            continue  # dangling: networkx spreads it like the teleport
        sent = {
            v: votes[node] * discount.get((node, v), 1.0) * d["weight"] / out_weight
            for _, v, d in graph.out_edges(node, data=True)
        }
        kept = kept_by_node[node] = sum(sent.values())
        for target, share in sent.items():
            flows.setdefault(target, []).append((node, share))
        for other in nodes:
            equivalent.add_edge(node, other, weight=sent.get(other, 0.0) + (1.0 - kept) / len(nodes))
    ranks = nx.pagerank(equivalent, alpha=0.85, weight="weight", tol=1e-10, max_iter=1000)
    redistributed = sum(rank * (1.0 - kept_by_node.get(node, 0.0)) for node, rank in ranks.items())
    baseline = (0.85 * redistributed + 0.15) / len(nodes)
    relative = {}
    for node in ranks:
        received = [0.85 * ranks[source] * share for source, share in flows.get(node, [])]
        excess = max(0.0, 2 * max(received, default=0.0) - sum(received))
        relative[node] = (baseline + sum(received) - excess) / baseline
    return ranks, relative


def burst_discounts(events: list[tuple], new: set[str], allowance: int) -> dict[tuple[str, str], float]:
    """(actor, target): the weight-averaged discount of the actor's interactions with the target. On each
    day, the n new accounts engaging a target count as max(allowance, its established engagers) between
    them when n is larger (docs/model.md, burst damping)."""
    established, new_by_day = {}, {}
    for actor, target, day, _ in events:
        if actor in new:
            new_by_day.setdefault((target, day), set()).add(actor)
        else:
            established.setdefault(target, set()).add(actor)
    totals = {}
    for actor, target, day, weight in events:
        factor = 1.0
        if actor in new:
            capacity = max(allowance, len(established.get(target, ())))
            factor = min(1.0, capacity / len(new_by_day[target, day]))
        weighted, total = totals.get((actor, target), (0.0, 0.0))
        totals[actor, target] = (weighted + weight * factor, total + weight)
    return {edge: weighted / total for edge, (weighted, total) in totals.items()}


def calibrated_score(relative_rank: float) -> float:
    """1 + 99 x the position of ln(relative_rank) between the packaged reference's anchors."""
    anchors = json.loads(REFERENCE_FILE.read_text())["measures"]["relative_rank"]
    position = (math.log(relative_rank) - anchors["lower"]) / (anchors["upper"] - anchors["lower"])
    return 1 + 99 * min(max(position, 0.0), 1.0)


def is_in_model_window(end: dt.date, window_days: int, occurred_at: dt.datetime | None, run_date: dt.date) -> bool:
    """docs/model.md section 1: for run date D the graph holds the interactions stored up to D whose age is
    below window_days (0 = unbounded); the age runs from when it happened (else the end of the night it
    landed) to the end of D (midnight UTC), never negative."""
    if run_date > end:
        return False
    if window_days == 0:
        return True
    end_of_d = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    happened = occurred_at if occurred_at is not None else dt.datetime.combine(run_date + dt.timedelta(days=1), dt.time())
    age_days = max((end_of_d - happened).total_seconds() / 86_400, 0.0)
    return age_days < window_days

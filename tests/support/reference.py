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
    """The default model computed with networkx, independently of the pipeline (docs/model.md):
    kind weight x 30-day half-life decay to the end of the run date, self-loops dropped, pairs summed;
    TrustRank teleporting to readers (nobody engages them); votes; PageRank on the equivalent graph where
    a vote f < 1 becomes extra edges u -> every vertex of weight W(u) (1 - f) / (f N)."""
    graph = nx.DiGraph()
    for line in lines:
        fields = line.split()
        if len(fields) != 4 or not fields[2].isdigit():
            continue
        actor, target = f"snap:{fields[0]}", f"snap:{fields[1]}"
        graph.add_nodes_from([actor, target])
        if actor != target:
            weight = KIND_WEIGHTS[fields[3]] * 0.5 ** ((run_end - int(fields[2])) / 86400 / 30)
            graph.add_edge(actor, target, weight=graph.get_edge_data(actor, target, {"weight": 0.0})["weight"] + weight)
    readers = [v for v in graph if graph.in_degree(v) == 0]
    trust = nx.pagerank(graph, alpha=0.85, personalization={v: 1.0 for v in readers}, weight="weight")
    full = 0.05 * 0.15 / len(readers)
    votes = {v: 1.0 if v in readers else 0.02 + 0.98 * min(1.0, trust[v] / full) for v in graph}
    equivalent, nodes = graph.copy(), list(graph)
    for node, vote in votes.items():
        out_weight = sum(d["weight"] for _, _, d in graph.out_edges(node, data=True))
        if out_weight == 0 or vote == 1.0:
            continue
        for other in nodes:
            current = equivalent.get_edge_data(node, other, {"weight": 0.0})["weight"]
            equivalent.add_edge(node, other, weight=current + out_weight * (1 - vote) / (vote * len(nodes)))
    return nx.pagerank(equivalent, alpha=0.85, weight="weight", tol=1e-10, max_iter=1000)


def calibrated_score(pagerank: float, persons: int) -> float:
    """1 + 99 x the position of ln(pagerank x persons) between the packaged reference's anchors."""
    anchors = json.loads(REFERENCE_FILE.read_text())["measures"]["relative_rank"]
    position = (math.log(pagerank * persons) - anchors["lower"]) / (anchors["upper"] - anchors["lower"])
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

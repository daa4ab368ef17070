"""End to end: `influence nightly` on tiny dumps, reruns, a failing validation, bad arguments."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import pytest
from pyspark.sql import functions as F

from influence import storage
from influence.model import REFERENCE_FILE
from influence.tables import INTERACTIONS, PROFILES, QUARANTINE, RAW_LINES
from jobs.cli import main

JULY_1 = 1341100800  # 2012-07-01T00:00:00Z

# Day one: 20 activity lines, a comment, a blank line, one malformed line (1/21 conformable = 4.8% quarantined).
DAY_ONE = [
    "# Higgs-style activity, hand-built",
    *[f"{a} {b} {JULY_1 + 60 * i} {kind}" for i, (a, b, kind) in enumerate([
        ("1", "2", "RT"), ("3", "2", "RT"), ("4", "2", "MT"), ("5", "2", "RE"), ("2", "6", "RT"),
        ("6", "2", "RT"), ("7", "6", "MT"), ("8", "9", "RT"), ("9", "8", "RT"), ("1", "3", "MT"),
        ("3", "1", "RE"), ("4", "5", "RT"), ("10", "10", "RT"), ("11", "2", "RT"), ("12", "2", "MT"),
        ("13", "6", "RT"), ("14", "2", "RT"), ("2", "14", "RE"), ("15", "16", "RT"), ("1", "2", "MT"),
    ])],
    "",
    "17 18 notatime RT",
]


def land(folder: Path, name: str, lines: list[str]) -> Path:
    (folder / "snap").mkdir(parents=True, exist_ok=True)
    (folder / "snap" / name).write_text("\n".join(lines) + "\n")
    return folder


def nightly(date: str, landing: Path, lake: Path, *extra: str) -> int:
    return main(["nightly", "--date", date, "--input", str(landing), "--lake", str(lake), *extra])


def runs(lake: Path, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["runs", "--lake", str(lake), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def profiles(spark, lake: Path) -> list[tuple]:
    return sorted(tuple(row) for row in storage.read(spark, PROFILES, lake).collect())


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


def test_nightly_publishes_validated_profiles_and_reruns_idempotently(spark, tmp_path, capsys):
    landing, lake = land(tmp_path / "landing", "day1.txt", DAY_ONE), tmp_path / "lake"

    assert nightly("2012-07-01", landing, lake) == 0

    published = {(row.network, row.account_id): row for row in storage.read(spark, PROFILES, lake).collect()}
    expected = expected_pagerank(DAY_ONE)
    assert {f"{n}:{a}" for n, a in published} == set(expected)  # 16 accounts: 17/18 were quarantined
    assert sum(abs(published[tuple(k.split(":"))].pagerank - v) for k, v in expected.items()) < 1e-4
    for key, pagerank in expected.items():
        row = published[tuple(key.split(":"))]
        assert row.raw_score == pytest.approx(calibrated_score(pagerank, len(expected)), abs=0.01), key
        assert row.score == round(row.raw_score)  # first night: nothing to smooth with
        assert sum(dict(row.explanation.by_kind).values()) == pytest.approx(1.0, abs=1e-12)
        assert (row.model_version, len(row.config_hash)) == ("1", 64)
    assert all(1 <= row.score <= 100 and 0 <= row.percentile <= 100 for row in published.values())
    # account 2 is engaged by 1, 3, 4, 5, 6, 11, 12, 14 -> 8 distinct engagers, 9 interactions (1 twice)
    assert (published[("snap", "2")].engagers, published[("snap", "2")].interactions_received) == (8, 9)

    quarantined = storage.read(spark, QUARANTINE, lake).collect()
    assert [(row.line_number, row.reason.split(":")[0]) for row in quarantined] == [(23, "bad_timestamp")]

    [run] = runs(lake, capsys)
    assert (run["status"], run["exit_code"], run["run_date"]) == ("published", 0, "2012-07-01")
    [file] = run["reconciliation"]
    assert (file["raw_lines"], file["conformed"], file["quarantined"]) == (23, 20, 1)
    assert file["skipped"] == {"blank": 1, "comment": 1}  # reasons with no line are not listed
    assert file["reconciled"] is True
    assert [suite["suite"] for suite in run["validation"]] == [
        "bronze_lines", "reconciliation", "silver_interactions", "posts", "quarantine", "accounts", "influence_scores", "profiles"
    ]  # no run_over_run: nothing was published before this first night
    assert "run-over-run checks skipped: no published profiles to compare with (first publish)" in run["message"]
    assert {stage["stage"] for stage in run["stages"]} == {
        "governance", "bronze", "retention", "silver", "consent", "graph", "trust", "pagerank", "enrich", "scores",
        "validate", "publish",
    }

    before = profiles(spark, lake)
    counts = {t.name: storage.read(spark, t, lake).count() for t in (RAW_LINES, INTERACTIONS, QUARANTINE)}
    assert nightly("2012-07-01", landing, lake) == 0
    assert profiles(spark, lake) == before
    assert {t.name: storage.read(spark, t, lake).count() for t in (RAW_LINES, INTERACTIONS, QUARANTINE)} == counts
    assert counts == {"raw_lines": 23, "interactions": 20, "quarantine": 1}
    latest = runs(lake, capsys)[0]
    publish_counts = next(s["counts"] for s in latest["stages"] if s["stage"] == "publish")
    assert (publish_counts["profiles_inserted"], publish_counts["profiles_updated"], publish_counts["profiles_deleted"]) == (0, 0, 0)


def test_failing_validation_publishes_nothing(spark, tmp_path, capsys):
    landing, lake = land(tmp_path / "day1", "day1.txt", DAY_ONE), tmp_path / "lake"
    assert nightly("2012-07-01", landing, lake) == 0
    version = storage.current_version(spark, PROFILES, lake)
    before = profiles(spark, lake)

    # The wrong dump landed: most lines are not SNAP at all.
    garbage = land(tmp_path / "day2", "day2.txt", ['{"id": 1, "text": "hello"}'] * 8 + [f"1 2 {JULY_1 + 86400} RT"])
    assert nightly("2012-07-02", garbage, lake) == 1
    assert storage.current_version(spark, PROFILES, lake) == version
    assert profiles(spark, lake) == before
    failed = runs(lake, capsys)[0]
    assert (failed["status"], failed["exit_code"]) == ("validation_failed", 1)
    assert "quarantined_fraction" in failed["message"]
    # silver keeps nothing of the held-back night, but its quarantine is there to inspect
    assert storage.read(spark, INTERACTIONS, lake).filter(F.col("run_date") == "2012-07-02").count() == 0
    assert storage.read(spark, QUARANTINE, lake).filter(F.col("run_date") == "2012-07-02").count() == 8


def test_events_from_the_future_fail_validation(spark, tmp_path, capsys):
    lake = tmp_path / "lake"
    landing = land(tmp_path / "in", "future.txt", ["1 2 1341100800 RT", "3 2 4102444800 RT"])  # second: year 2100
    assert nightly("2012-07-01", landing, lake) == 1
    failed = runs(lake, capsys)[0]
    assert "occurred_at" in failed["message"]
    assert not storage.exists(spark, PROFILES, lake)


def test_second_night_is_incremental_and_backfill_keeps_the_newer_profiles(spark, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert nightly("2012-07-01", land(tmp_path / "d1", "day1.txt", DAY_ONE), lake) == 0
    day_two = [f"20 2 {JULY_1 + 86400} RT", f"21 20 {JULY_1 + 86401} MT", DAY_ONE[1]]  # last: a day-one event again
    assert nightly("2012-07-02", land(tmp_path / "d2", "day2.txt", day_two), lake) == 0
    silver = next(s["counts"] for s in runs(lake, capsys)[0]["stages"] if s["stage"] == "silver")
    assert (silver["conformed"], silver["new_interactions"], silver["already_stored"]) == (3, 2, 1)
    assert storage.read(spark, INTERACTIONS, lake).count() == 22
    current = storage.read(spark, PROFILES, lake)
    assert {row.as_of_date.isoformat() for row in current.select("as_of_date").distinct().collect()} == {"2012-07-02"}
    assert current.count() == 18  # 16 accounts of day one + 20 and 21

    before = profiles(spark, lake)
    assert nightly("2012-06-30", land(tmp_path / "d0", "day0.txt", ["30 31 1341014400 RT"]), lake) == 0
    backfill = runs(lake, capsys)[0]
    assert backfill["status"] == "history_only"
    assert "run-over-run checks skipped: backfill: profiles are published as of the newer date 2012-07-02" in backfill["message"]
    assert "run_over_run" not in [suite["suite"] for suite in backfill["validation"]]
    assert profiles(spark, lake) == before


def test_a_changed_file_replaces_its_lines(spark, tmp_path, capsys):
    lake, landing = tmp_path / "lake", tmp_path / "in"
    # The rerun is checked run over run against the first publish; growing a 5-account graph to 7 moves its
    # p90 score by ~38 points, a legitimate correction at this size, so the score-shift limits are opened.
    config = tmp_path / "influence.toml"
    config.write_text("[validation]\nmax_mean_score_shift = 99\nmax_quantile_shift = 99\n")
    assert nightly("2012-07-01", land(landing, "day1.txt", DAY_ONE[:5]), lake) == 0
    assert nightly("2012-07-01", land(landing, "day1.txt", DAY_ONE[:8]), lake, "--config", str(config)) == 0
    bronze = next(s["counts"] for s in runs(lake, capsys)[0]["stages"] if s["stage"] == "bronze")
    assert bronze["files_replaced"] == 1
    assert storage.read(spark, RAW_LINES, lake).count() == 8
    assert storage.read(spark, INTERACTIONS, lake).count() == 7


@pytest.mark.parametrize(
    "argv_tail, message",
    [
        (["--date", "2012-13-01"], "not a date"),
        (["--date", "yesterday"], "not a date"),
        (["--date", "2012-07-01", "--input", "/nonexistent/landing"], "does not exist"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(tmp_path, caplog, capsys, argv_tail, message):
    lake = tmp_path / "lake"
    assert main(["nightly", *argv_tail, "--lake", str(lake)]) == 2
    assert message in capsys.readouterr().err + caplog.text
    assert not lake.exists()


def test_bad_config_and_empty_landing_exit_2(tmp_path, caplog):
    lake = tmp_path / "lake"
    config = tmp_path / "influence.toml"
    config.write_text("[pagerank]\ndampening = 0.9\n")
    assert main(["nightly", "--date", "2012-07-01", "--config", str(config), "--lake", str(lake)]) == 2
    assert "unknown key(s) dampening in [pagerank]" in caplog.text
    (tmp_path / "empty" / "twitter_v9").mkdir(parents=True)
    assert main(["nightly", "--date", "2012-07-01", "--input", str(tmp_path / "empty"), "--lake", str(lake)]) == 2
    assert "holds no files to ingest" in caplog.text
    assert not lake.exists()


def test_runs_on_a_lake_without_runs_exits_2(tmp_path, caplog):
    assert main(["runs", "--lake", str(tmp_path / "nothing")]) == 2
    assert "no run has been recorded" in caplog.text

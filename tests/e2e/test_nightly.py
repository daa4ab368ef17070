"""End to end: `influence nightly` on tiny dumps, reruns, a failing validation, bad arguments."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip

import pytest
from pyspark.sql import functions as F

from influence import storage
from influence.cluster import free_port
from influence.config import load_config
from influence.governance import read_consent
from influence.storage import Lake
from influence.tables import COMMUNITIES, INTERACTIONS, PROFILES, QUARANTINE, RAW_LINES
from jobs.cli import main
from stages import score
from tests.support.cli import nightly, profiles, runs
from tests.support.lakes import NIGHT_TWO, RUN_DATE, copy_lake
from tests.support.reference import calibrated_score, expected_night
from tests.support.snap import DAY_ONE, DAY_ONE_ACCOUNTS, land


def test_first_night_publishes_validated_profiles(spark, first_night):
    lake = first_night.lake
    published = {(row.network, row.account_id): row for row in storage.read(spark, PROFILES, lake).collect()}
    expected, relative_rank = expected_night(DAY_ONE)
    assert {f"{n}:{a}" for n, a in published} == set(expected)  # 16 accounts: 17/18 were quarantined
    assert sum(abs(published[tuple(k.split(":"))].pagerank - v) for k, v in expected.items()) < 1e-4
    for key in expected:
        row = published[tuple(key.split(":"))]
        assert row.raw_score == pytest.approx(calibrated_score(relative_rank[key]), abs=0.01), key
        assert row.score == round(row.raw_score)  # first night: nothing to smooth with
        assert sum(dict(row.explanation.by_kind).values()) == pytest.approx(1.0, abs=1e-12)
        assert (row.model_version, len(row.config_hash)) == ("3", 64)
    assert all(1 <= row.score <= 100 and 0 <= row.percentile <= 100 for row in published.values())
    # account 2 is engaged by 1, 3, 4, 5, 6, 11, 12, 14 -> 8 distinct engagers, 9 interactions (1 twice)
    assert (published[("snap", "2")].engagers, published[("snap", "2")].interactions_received) == (8, 9)

    quarantined = storage.read(spark, QUARANTINE, lake).collect()
    assert [(row.line_number, row.reason.split(":")[0]) for row in quarantined] == [(23, "bad_timestamp")]

    [run] = runs(lake)
    assert (run["run_id"], run["status"], run["exit_code"], run["run_date"]) == (first_night.run_id, "published", 0, "2012-07-01")
    [file] = run["reconciliation"]
    assert (file["raw_lines"], file["conformed"], file["quarantined"]) == (23, 20, 1)
    assert file["skipped"] == {"blank": 1, "comment": 1}  # reasons with no line are not listed
    assert file["reconciled"] is True
    assert [suite["suite"] for suite in run["validation"]] == [
        "bronze_lines",
        "reconciliation",
        "silver_interactions",
        "posts",
        "quarantine",
        "accounts",
        "communities",
        "influence_scores",
        "profiles",
    ]  # no run_over_run: nothing was published before this first night
    assert "run-over-run checks skipped: no published profiles to compare with (first publish)" in run["message"]
    assert {stage["stage"] for stage in run["stages"]} == {
        "governance",
        "bronze",
        "retention",
        "silver",
        "consent",
        "graph",
        "trust",
        "pagerank",
        "communities",
        "enrich",
        "scores",
        "validate",
        "publish",
        "housekeeping",
    }
    housekeeping = next(stage["counts"] for stage in run["stages"] if stage["stage"] == "housekeeping")
    assert housekeeping["ran"] == 0  # a lake's first night starts the housekeeping clock
    # 23 lines landed, 20 conformed interactions, 1 quarantined line (counted in DAY_ONE by hand)
    counts = {t.name: storage.read(spark, t, lake).count() for t in (RAW_LINES, INTERACTIONS, QUARANTINE)}
    assert counts == {"raw_lines": 23, "interactions": 20, "quarantine": 1}


def test_first_night_publishes_communities_inside_connected_components(spark, first_night):
    lake = first_night.lake
    published = storage.read(spark, PROFILES, lake).collect()
    members: dict[str, set[str]] = {}
    for row in published:
        members.setdefault(row.community_id, set()).add(row.account_id)
        assert 0.0 <= row.community_share <= 1.0
    assert all(row.community_size == len(members[row.community_id]) for row in published)
    # DAY_ONE's connected components, read off tests/support/snap.py by hand (10 only engages itself)
    day_one_components = [{"1", "2", "3", "4", "5", "6", "7", "11", "12", "13", "14"}, {"8", "9"}, {"15", "16"}, {"10"}]
    assert all(any(group <= component for component in day_one_components) for group in members.values())
    communities = {row.community_id: row for row in storage.read(spark, COMMUNITIES, lake).collect()}
    assert set(communities) == set(members)
    for community_id, row in communities.items():
        assert row.size == len(members[community_id])
        assert {p.account_id for p in row.top_persons} <= members[community_id]
        assert 1 <= len(row.top_persons) <= min(5, row.size)
        assert row.as_of_date.isoformat() == "2012-07-01"
    [run] = runs(lake)
    counts = next(s["counts"] for s in run["stages"] if s["stage"] == "communities")
    assert counts["communities"] == len(communities)
    assert counts["largest_community"] == max(row.size for row in communities.values())


def test_a_rerun_of_the_night_changes_nothing(spark, first_night, tmp_path):
    lake = copy_lake(first_night.lake, tmp_path / "lake")
    before = profiles(spark, lake)
    assert nightly("2012-07-01", first_night.landing, lake) == 0
    assert profiles(spark, lake) == before
    counts = {t.name: storage.read(spark, t, lake).count() for t in (RAW_LINES, INTERACTIONS, QUARANTINE)}
    assert counts == {"raw_lines": 23, "interactions": 20, "quarantine": 1}  # as after the first night
    latest = runs(lake)[0]
    publish_counts = next(s["counts"] for s in latest["stages"] if s["stage"] == "publish")
    assert [publish_counts[f"profiles_{change}"] for change in ("inserted", "updated", "deleted")] == [0, 0, 0]


def test_failing_validation_publishes_nothing(spark, held_back_night):
    """The held-back night: the wrong dump for 2012-07-02 on top of a published first night."""
    lake = held_back_night.lake
    assert storage.current_version(spark, PROFILES, lake) == held_back_night.night_one_version
    assert profiles(spark, lake) == held_back_night.night_one_profiles
    failed = runs(lake)[0]
    assert (failed["run_date"], failed["status"], failed["exit_code"]) == ("2012-07-02", "validation_failed", 1)
    assert "quarantined_fraction" in failed["message"]
    # silver keeps nothing of the held-back night, but its quarantine is there to inspect
    assert storage.read(spark, INTERACTIONS, lake).filter(F.col("run_date") == "2012-07-02").count() == 0
    assert storage.read(spark, QUARANTINE, lake).filter(F.col("run_date") == "2012-07-02").count() == 8


def test_events_from_the_future_fail_validation(spark, tmp_path):
    lake = tmp_path / "lake"
    landing = land(tmp_path / "in", "future.txt", ["1 2 1341100800 RT", "3 2 4102444800 RT"])  # second: year 2100
    assert nightly("2012-07-01", landing, lake) == 1
    failed = runs(lake)[0]
    assert "occurred_at" in failed["message"]
    assert not storage.exists(spark, PROFILES, lake)


def test_second_night_is_incremental_and_backfill_keeps_the_newer_profiles(spark, second_night, tmp_path):
    lake = second_night.lake  # DAY_TWO published for 2012-07-02: its last line is a day-one event again
    silver = next(s["counts"] for s in runs(lake)[0]["stages"] if s["stage"] == "silver")
    assert (silver["conformed"], silver["new_interactions"], silver["already_stored"]) == (3, 2, 1)
    assert storage.read(spark, INTERACTIONS, lake).count() == 22
    current = storage.read(spark, PROFILES, lake)
    assert {row.as_of_date.isoformat() for row in current.select("as_of_date").distinct().collect()} == {"2012-07-02"}
    assert current.count() == 18  # 16 accounts of day one + 20 and 21
    warm = next(s["counts"] for s in runs(lake)[0]["stages"] if s["stage"] == "pagerank")
    assert warm["warm_start"] == 1  # started from the first night's published ranks
    # the same night's model started cold, on the same silver, needs more iterations (to the same ranks,
    # within the tolerance); the night's steps up to PageRank are those of stages/score.py
    defaults = load_config(lake=str(lake), environ={})
    cold_config = defaults.replace(pagerank=dataclasses.replace(defaults.pagerank, warm_start=False))
    inputs = score.read_consented(Lake(spark, lake), cold_config, read_consent(spark, cold_config), dt.date(2012, 7, 2))
    cold = score.score_night(
        spark, cold_config, dt.date(2012, 7, 2), inputs.interactions, inputs.links, inputs.posts, inputs.history
    )
    assert warm["iterations"] < cold.pagerank.iterations
    warm_ranks = {row.person_id: row.pagerank for row in current.collect()}
    cold_ranks = {row.id: row.pagerank for row in cold.pagerank.ranks.collect()}
    assert warm_ranks.keys() == cold_ranks.keys()
    assert sum(abs(warm_ranks[p] - cold_ranks[p]) for p in warm_ranks) <= 2 * 1e-4  # each within max_error of the fixed point

    lake = copy_lake(second_night.lake, tmp_path / "lake")  # the backfill writes
    before = profiles(spark, lake)
    # 30 engages two persons, a day before the night's end: a trust seed, so the night can publish
    backfill_lines = ["30 31 1341014400 RT", "30 32 1341014400 RT"]
    assert nightly("2012-06-30", land(tmp_path / "d0", "day0.txt", backfill_lines), lake) == 0
    backfill = runs(lake)[0]
    assert backfill["status"] == "history_only"
    assert "run-over-run checks skipped: backfill: profiles are published as of the newer date 2012-07-02" in backfill["message"]
    assert "run_over_run" not in [suite["suite"] for suite in backfill["validation"]]
    assert profiles(spark, lake) == before


def test_a_changed_file_replaces_its_lines(spark, two_nights):
    """Two nights: snap/day1.txt landed again for the same date with one line gone and one new."""
    night_two = runs(two_nights.lake)[0]
    assert night_two["run_id"] == two_nights.night_two_run_id
    bronze = next(s["counts"] for s in night_two["stages"] if s["stage"] == "bronze")
    assert bronze["files_replaced"] == 1
    # By hand: NIGHT_TWO has 23 lines (DAY_ONE's 23, one removed, one added), 20 of them interactions; an
    # appended file would have left 46 raw lines and 21 interactions.
    assert len(NIGHT_TWO) == 23
    assert storage.read(spark, RAW_LINES, two_nights.lake).count() == 23
    interactions = storage.read(spark, INTERACTIONS, two_nights.lake)
    assert interactions.count() == 20
    pairs = {(row.actor, row.target) for row in interactions.filter(F.col("run_date") == RUN_DATE).collect()}
    assert ("20", "2") in pairs and ("15", "16") not in pairs


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


def test_an_unreachable_master_exits_2_before_anything_is_written(tmp_path, caplog):
    port = free_port()  # nothing listens on it
    lake = tmp_path / "lake"
    for command in (["nightly", "--date", "2012-07-01"], ["backfill", "--from", "2012-07-01", "--to", "2012-07-01"]):
        landing = land(tmp_path / "in" / "2012-07-01", "day1.txt", DAY_ONE)
        source = str(landing if command[0] == "nightly" else landing.parent)
        caplog.clear()
        assert main([*command, "--input", source, "--master", f"spark://127.0.0.1:{port}", "--lake", str(lake)]) == 2
        assert f"the Spark master spark://127.0.0.1:{port} is not reachable" in caplog.text
        assert not lake.exists()


def test_bad_config_and_empty_landing_exit_2(tmp_path, caplog):
    lake = tmp_path / "lake"
    config = tmp_path / "influence.toml"
    config.write_text("[pagerank]\ndampening = 0.9\n")
    assert main(["nightly", "--date", "2012-07-01", "--config", str(config), "--lake", str(lake)]) == 2
    assert "unknown key(s) dampening in [pagerank]" in caplog.text
    (tmp_path / "empty" / "snap").mkdir(parents=True)
    assert main(["nightly", "--date", "2012-07-01", "--input", str(tmp_path / "empty"), "--lake", str(lake)]) == 2
    assert "holds no files to ingest" in caplog.text
    assert not lake.exists()


@pytest.mark.parametrize(
    "files, message",
    [
        (
            {"snap/day.txt.gz": gzip.compress(b"1 2 1341100800 RT\n" * 100)[:-12]},
            "landed file snap/day.txt.gz is not a readable gz file",
        ),
        ({"snap/day.txt.bz2": b"BZh9 not bzip2"}, "landed file snap/day.txt.bz2 is not a readable bz2 file"),
        ({"snap/day.txt": b"1 2 1341100800 RT\n", "twitter_v9/x.jsonl": b"{}\n"}, "landing folder(s) twitter_v9 in"),
    ],
    ids=["truncated gzip", "corrupt bzip2", "unknown source folder"],
)
def test_bad_landed_files_exit_2_before_anything_is_written(tmp_path, caplog, files, message):
    for relative, content in files.items():
        (tmp_path / "in" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / relative).write_bytes(content)
    lake = tmp_path / "lake"
    assert main(["nightly", "--date", "2012-07-01", "--input", str(tmp_path / "in"), "--lake", str(lake)]) == 2
    assert message in caplog.text
    assert not lake.exists()


def test_a_night_of_empty_files_records_them_and_rescores_the_window(spark, first_night, tmp_path):
    lake = copy_lake(first_night.lake, tmp_path / "lake")
    landing = tmp_path / "in" / "snap"
    landing.mkdir(parents=True)
    (landing / "day2.txt").write_bytes(b"")
    (landing / "day2.txt.gz").write_bytes(gzip.compress(b""))
    bronze_before = storage.read(spark, RAW_LINES, lake).count()
    assert nightly("2012-07-02", landing.parent, lake) == 0
    latest = runs(lake)[0]
    bronze_counts = next(s["counts"] for s in latest["stages"] if s["stage"] == "bronze")
    assert (bronze_counts["files_empty"], bronze_counts["files_ingested"]) == (2, 0)
    silver_counts = next(s["counts"] for s in latest["stages"] if s["stage"] == "silver")
    assert (silver_counts["raw_lines"], silver_counts["new_interactions"]) == (0, 0)
    assert storage.read(spark, RAW_LINES, lake).count() == bronze_before
    # the window still holds night one's interactions: every person is published again, as of the new date
    published = storage.read(spark, PROFILES, lake).collect()
    assert {row.account_id for row in published} == DAY_ONE_ACCOUNTS
    assert {row.as_of_date.isoformat() for row in published} == {"2012-07-02"}


def test_runs_on_a_lake_without_runs_exits_2(tmp_path, caplog):
    assert main(["runs", "--lake", str(tmp_path / "nothing")]) == 2
    assert "no run has been recorded" in caplog.text


def test_first_night_finds_moments_in_time_for_snap_persons(spark, first_night):
    """SNAP persons have moments: their interactions are the evidence (docs/model.md#moments). Expected
    from the landed lines: one day in the window, so a moment is a day with 3+ engagers (surprise = engagers)."""
    engagers: dict[str, set[str]] = {}
    for line in DAY_ONE:
        parts = line.split()
        if len(parts) == 4 and parts[2].isdigit() and parts[0] != parts[1]:
            engagers.setdefault(f"snap:{parts[1]}", set()).add(parts[0])
    expected = {person: len(actors) for person, actors in engagers.items() if len(actors) >= 3}
    assert expected == {"snap:2": 8, "snap:6": 3}  # 2: 1, 3, 4, 5, 6, 11, 12, 14; 6: 2, 7, 13

    published = {row.person_id: row.moment_days for row in storage.read(spark, PROFILES, first_night.lake).collect()}
    found = {person: days for person, days in published.items() if days}
    assert set(found) == set(expected)
    for person, count in expected.items():
        [moment] = found[person]
        assert (moment.day.isoformat(), moment.engagers, moment.baseline, moment.surprise) == ("2012-07-01", count, 0.0, count)
        assert len(moment.evidence) == 3 and {e.engager for e in moment.evidence} <= {f"snap:{a}" for a in engagers[person]}

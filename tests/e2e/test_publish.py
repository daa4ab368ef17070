"""Operator commands: `influence publish --force` of a night held back by its gold suite, `influence rollback`."""

from __future__ import annotations

import json
from pathlib import Path

import great_expectations as gx
from pyspark.sql import functions as F

from expectations import influence_scores as scores_suite
from influence import storage
from influence.tables import INFLUENCE_SCORES, PROFILES, RUNS, STAGED_SCORES
from jobs.cli import main
from tests.support.cli import nightly, profiles, run as influence, runs
from tests.support.lakes import copy_lake
from tests.support.reference import expected_pagerank
from tests.support.snap import DAY_ONE, DAY_TWO, JULY_1, WRONG_DUMP, land

# Account 2 has received 9 interactions on day one (1 twice, 3, 4, 5, 6, 11, 12, 14) + 1 from 20 on day two = 10.
MOST_INTERACTIONS_ALLOWED = 9
OPTED_OUT = "snap:3"  # a person of both nights (an account with no links is its own person)
REASON = "bot guard false positive: account 2 is the project's own news account"
REAL_BUILD_SUITE = scores_suite.build_suite


def with_bot_guard() -> gx.ExpectationSuite:
    """The real gold suite plus a guard an analyst might add: no account receives more than 9 interactions."""
    suite = REAL_BUILD_SUITE()
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="interactions_received", max_value=MOST_INTERACTIONS_ALLOWED)
    )
    return suite


def publish(lake: Path, *args: str) -> int:
    return main(["publish", "--lake", str(lake), *args])


def rollback(lake: Path, version: str) -> int:
    return main(["rollback", "--lake", str(lake), "--to-version", version])


def test_a_night_held_back_by_its_gold_suite_is_force_published_then_rolled_back(
    spark, first_night, tmp_path, caplog, monkeypatch
):
    lake = copy_lake(first_night.lake, tmp_path / "lake")
    night_one = profiles(spark, lake)
    night_one_version = storage.current_version(spark, PROFILES, lake)

    monkeypatch.setattr(scores_suite, "build_suite", with_bot_guard)
    assert nightly("2012-07-02", land(tmp_path / "d2", "day2.txt", DAY_TWO), lake) == 1
    monkeypatch.undo()
    held = runs(lake)[0]
    assert (held["status"], held["exit_code"]) == ("validation_failed", 1)
    assert "gold stage" in held["message"] and "interactions_received" in held["message"]
    assert profiles(spark, lake) == night_one  # held back: nothing published
    code, printed = influence("status", "--lake", str(lake), "--json")
    assert code == 0
    shown = json.loads(printed)
    assert shown["held_back"] == {
        "run_date": "2012-07-02",
        "run_id": held["run_id"],
        "staged_rows": 18,  # the 16 persons of night one and accounts 20 and 21
        "failed_suites": ["influence_scores"],
    }
    assert shown["published"]["as_of_date"] == "2012-07-01"

    def state() -> tuple:
        return (
            storage.current_version(spark, PROFILES, lake),
            storage.current_version(spark, STAGED_SCORES, lake),
            storage.read(spark, RUNS, lake).count(),
        )

    before = state()
    refusals = [
        (["--date", "2012-07-02", "--reason", REASON], "add --force"),
        (["--date", "2012-07-02", "--force"], "--reason must say why"),
        (["--date", "2012-07-02", "--force", "--reason", "   "], "--reason must say why"),
        (["--date", "2012-07-01", "--force", "--reason", REASON], "holds the candidate of 2012-07-02, not 2012-07-01"),
    ]
    for argv, message in refusals:
        caplog.clear()
        assert publish(lake, *argv) == 2, argv
        assert message in caplog.text, argv
    # profiles: version 0 (created empty) and the night-one MERGE
    for version in ("7", "-1"):
        caplog.clear()
        assert rollback(lake, version) == 2
        assert f"has no version {version}: its history holds versions 0 to {night_one_version}" in caplog.text
    assert state() == before
    assert profiles(spark, lake) == night_one

    # Someone who opts out after the night was staged is not published by forcing it: refused, until they opt in
    assert main(["optout", "--account", OPTED_OUT, "--lake", str(lake)]) == 0
    before = state()
    caplog.clear()
    assert publish(lake, "--date", "2012-07-02", "--force", "--reason", REASON) == 2
    assert "subject(s) suppressed since" in caplog.text and OPTED_OUT not in caplog.text
    assert state() == before
    assert main(["optin", "--account", OPTED_OUT, "--lake", str(lake)]) == 0

    assert publish(lake, "--date", "2012-07-02", "--force", "--reason", REASON) == 0
    forced = {(row.network, row.account_id): row for row in storage.read(spark, PROFILES, lake).collect()}
    # DAY_TWO[2] is a day-one event, stored once; the night ends at midnight after 2012-07-02
    expected = expected_pagerank(DAY_ONE + DAY_TWO[:2], run_end=JULY_1 + 2 * 86_400)
    assert {f"{network}:{account}" for network, account in forced} == set(expected)  # 16 + accounts 20 and 21
    assert sum(abs(forced[tuple(k.split(":"))].pagerank - v) for k, v in expected.items()) < 1e-4
    assert {row.as_of_date.isoformat() for row in forced.values()} == {"2012-07-02"}
    assert forced[("snap", "2")].interactions_received == MOST_INTERACTIONS_ALLOWED + 1
    history = storage.read(spark, INFLUENCE_SCORES, lake)
    assert history.filter(F.col("run_date") == "2012-07-02").count() == len(expected)
    run = runs(lake)[0]
    assert (run["command"], run["status"], run["exit_code"]) == ("publish", "published_forced", 0)
    assert run["run_date"] == "2012-07-02"
    assert REASON in run["message"] and held["run_id"] in run["message"]

    # nor by rolling back to a version that holds them
    assert main(["optout", "--account", OPTED_OUT, "--lake", str(lake)]) == 0
    before = state()
    caplog.clear()
    assert rollback(lake, str(night_one_version)) == 2
    assert f"version {night_one_version} of gold.profiles names" in caplog.text
    assert state() == before
    assert main(["optin", "--account", OPTED_OUT, "--lake", str(lake)]) == 0

    assert rollback(lake, str(night_one_version)) == 0
    assert profiles(spark, lake) == night_one
    run = runs(lake)[0]
    assert (run["command"], run["status"], run["exit_code"]) == ("rollback", "rolled_back", 0)
    assert f"restored to version {night_one_version}" in run["message"]

    # A rerun of the night that fails at the silver stage stages nothing of its own: it cannot be forced,
    # although staging still holds the earlier run's candidate for the same date.
    garbage = land(tmp_path / "d2b", "day2_resent.txt", WRONG_DUMP)
    assert nightly("2012-07-02", garbage, lake) == 1
    before = state()
    caplog.clear()
    assert publish(lake, "--date", "2012-07-02", "--force", "--reason", REASON) == 2
    assert "failed validation at the silver stage" in caplog.text
    assert state() == before
    assert profiles(spark, lake) == night_one

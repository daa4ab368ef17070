"""The lake's tables by name in Spark SQL (influence/catalog.py) and `influence sql`, on the two-nights lake
(read only, shared) and, for the re-pointing, the first night."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from influence import storage
from influence.catalog import register_tables
from influence.tables import PROFILES
from tests.support.cli import run
from tests.support.jvm import short_lived_jvm_env
from tests.support.lakes import NIGHT_ONE_ACCOUNTS, NIGHT_TWO_ACCOUNTS

ROOT = Path(__file__).resolve().parents[2]


def lake_tables(lake: Path) -> set[str]:
    """The Delta tables found in the lake's folders, by the names analysts use; governance left out."""
    names = set()
    for log in lake.glob("*/*/_delta_log"):
        layer, name = log.parent.parent.name, log.parent.name
        if layer != "governance":
            names.add(f"staged_{name}" if layer == "staging" else name)
    return names


def commit_time(lake: Path, version: int) -> dt.datetime:
    """When gold/profiles version `version` was committed, as Delta dates it without in-commit timestamps:
    its commit file's modification time, in milliseconds."""
    commit = Path(PROFILES.path(lake)) / "_delta_log" / f"{version:020d}.json"
    return dt.datetime.fromtimestamp(commit.stat().st_mtime_ns // 1_000_000 / 1000, dt.UTC)


def accounts(spark, query: str) -> set[str]:
    return {row.account_id for row in spark.sql(query).collect()}


def test_every_analyst_table_is_queried_by_name_and_by_version(spark, two_nights, first_night):
    lake = two_nights.lake
    assert set(register_tables(spark, lake)) == {f"influence.{name}" for name in lake_tables(lake)}
    listed = {row.tableName for row in spark.sql("SHOW TABLES IN influence").collect()}
    assert listed == lake_tables(lake)
    assert {"profiles", "influence_scores", "interactions", "posts", "accounts", "communities", "runs", "quarantine"} <= listed
    assert not listed & {"requests", "consent", "erasures"}  # governance stays out

    assert accounts(spark, "SELECT account_id FROM influence.profiles") == NIGHT_TWO_ACCOUNTS
    night_one = two_nights.night_one_version
    assert accounts(spark, f"SELECT account_id FROM influence.profiles VERSION AS OF {night_one}") == NIGHT_ONE_ACCOUNTS
    committed = commit_time(lake, night_one).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert accounts(spark, f"SELECT account_id FROM influence.profiles TIMESTAMP AS OF '{committed}'") == NIGHT_ONE_ACCOUNTS

    # another lake re-points the names; the first lake's data is untouched by the change
    register_tables(spark, first_night.lake)
    assert accounts(spark, "SELECT account_id FROM influence.profiles") == NIGHT_ONE_ACCOUNTS
    assert storage.current_version(spark, PROFILES, lake) == two_nights.night_two_version
    register_tables(spark, lake)
    assert accounts(spark, "SELECT account_id FROM influence.profiles") == NIGHT_TWO_ACCOUNTS


def test_influence_sql_prints_a_table_csv_and_json(spark, two_nights):
    lake = str(two_nights.lake)
    query = "SELECT account_id, score, as_of_date FROM influence.profiles ORDER BY account_id"
    expected = sorted(
        (row.account_id, row.score, row.as_of_date.isoformat()) for row in storage.read(spark, PROFILES, Path(lake)).collect()
    )

    code, printed = run("sql", query, "--lake", lake, "--format", "json")
    assert code == 0
    assert [(row["account_id"], row["score"], row["as_of_date"]) for row in json.loads(printed)] == expected

    code, printed = run("sql", query, "--lake", lake, "--format", "csv")
    assert code == 0
    parsed = list(csv.reader(io.StringIO(printed)))
    assert parsed[0] == ["account_id", "score", "as_of_date"]
    assert [(account, int(score), day) for account, score, day in parsed[1:]] == expected

    code, printed = run("sql", query, "--lake", lake, "--limit", "3")
    assert code == 0
    lines = printed.splitlines()
    assert lines[0].split() == ["account_id", "score", "as_of_date"]
    assert [tuple(line.split()) for line in lines[1:4]] == [(a, str(s), d) for a, s, d in expected[:3]]
    assert lines[4] == "(3 rows, limited)"


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM influence.profiles",
        "DROP TABLE influence.profiles",
        "  -- a comment first\n UPDATE influence.profiles SET score = 100",
        "WITH doomed AS (SELECT * FROM influence.profiles) INSERT INTO influence.profiles SELECT * FROM doomed",
        "FROM influence.profiles INSERT INTO influence.profiles SELECT *",
        "SELECT * FROM influence.consent",  # governance is not registered
        "SELECT nonsense FROM influence.profiles",
        "SELEKT 1",
    ],
)
def test_influence_sql_refuses_writes_and_bad_queries_and_changes_nothing(spark, two_nights, caplog, statement):
    before = storage.current_version(spark, PROFILES, two_nights.lake)
    code, printed = run("sql", statement, "--lake", str(two_nights.lake))
    assert code == 2 and printed == ""
    assert "influence sql" in caplog.text
    assert storage.current_version(spark, PROFILES, two_nights.lake) == before


def test_a_new_session_from_the_session_builder_knows_the_tables(two_nights, tmp_path):
    """What a notebook or the pyspark shell does: build_spark in a fresh process, then SQL by name."""
    script = f"""
from influence.config import load_config
from influence.session import build_spark
config = load_config(lake={str(two_nights.lake)!r}).with_spark(checkpoint_dir={str(tmp_path / "checkpoints")!r})
spark = build_spark(config)
print(sorted(row.tableName for row in spark.sql("SHOW TABLES IN influence").collect()))
print(spark.sql("SELECT count(*) FROM influence.profiles VERSION AS OF {two_nights.night_one_version}").first()[0])
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=short_lived_jvm_env(PYARROW_IGNORE_TIMEZONE="1", PYTHONPATH=str(ROOT)),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    tables, count = done.stdout.strip().splitlines()[-2:]
    assert tables == str(sorted(lake_tables(two_nights.lake)))
    assert int(count) == len(NIGHT_ONE_ACCOUNTS)
    assert not (tmp_path / "spark-warehouse").exists()  # nothing left in the folder the session started from

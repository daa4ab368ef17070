"""influence status on the scenario lakes (read only: status takes no lease and writes nothing)."""

from __future__ import annotations

import json

from influence import storage
from influence.tables import ALL_TABLES, PROFILES, RUNS
from tests.support.cli import run
from tests.support.lakes import OLD_RUN_ID
from tests.support.snap import DAY_ONE_ACCOUNTS


def status(lake) -> dict:
    code, printed = run("status", "--lake", str(lake), "--json")
    assert code == 0, printed
    return json.loads(printed)


def test_status_shows_the_last_run_per_date_what_is_published_and_every_table_version(spark, held_back_night):
    lake = held_back_night.lake
    log_version = storage.current_version(spark, RUNS, lake)
    shown = status(lake)

    # 2012-07-02: the wrong dump, failed at the silver stage; 2012-06-30: the older release's one run
    assert [(r["run_date"], r["status"], r["exit_code"]) for r in shown["last_runs"]] == [
        ("2012-07-02", "validation_failed", 1),
        ("2012-07-01", "published", 0),
        ("2012-06-30", "published", 0),
    ]
    assert shown["last_runs"][-1]["run_id"] == OLD_RUN_ID
    assert shown["published"] == {
        "as_of_date": "2012-07-01",
        "profiles": len(DAY_ONE_ACCOUNTS),
        "version": held_back_night.night_one_version,
    }
    # failed at the silver stage: the staged rows are the first night's, so nothing can be force-published
    assert shown["held_back"] is None
    assert shown["lease"] is None
    assert set(shown["tables"]) == {table.qualified_name for table in ALL_TABLES}
    assert shown["tables"]["gold.profiles"] == storage.current_version(spark, PROFILES, lake)
    assert shown["tables"]["ops.runs"] == log_version
    assert storage.current_version(spark, RUNS, lake) == log_version  # status logged no run


def test_status_as_text_and_its_refusals(held_back_night, tmp_path, caplog):
    code, printed = run("status", "--lake", str(held_back_night.lake))
    assert code == 0
    assert f"published {len(DAY_ONE_ACCOUNTS)} profiles as of 2012-07-01" in printed
    assert "lease     free" in printed and "held back nothing" in printed
    assert "2012-07-02  validation_failed  1" in printed

    assert run("status", "--lake", str(tmp_path / "nowhere"))[0] == 2
    assert "does not exist" in caplog.text

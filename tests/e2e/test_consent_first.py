"""Consent-first publishing (docs/privacy.md#consent-first-publishing): under `[privacy] publish = "opt_in"`
a night publishes exactly the persons who opted in, scored as everyone is, and no published column names
anyone else. The opt_out default is what every other end-to-end test runs."""

from __future__ import annotations

import json
import re
import shutil

from pyspark.sql import functions as F

from influence import storage
from influence.tables import COMMUNITIES, INFLUENCE_SCORES, PROFILES, Table
from tests.support.cli import nightly, run
from tests.support.scan import exported_lines
from tests.support.twitter import ERASED, FANS, JUNE_6

OPTED_IN = (FANS[0], FANS[2])  # fan1, whom the others retweet, and fan3
# Everyone else of the world of June 6: the account fans retweet, fans 2, 4 and 5, the reader, the press desk
OTHERS = (ERASED, FANS[1], FANS[3], FANS[4], ("9898", "reader"), ("9900", "press_desk"))


def rows_as_json(spark, table: Table, lake) -> list[str]:
    frame = storage.read(spark, table, lake)
    return [row.j for row in frame.select(F.to_json(F.struct(*frame.columns)).alias("j")).collect()]  # a few rows


def test_under_opt_in_a_night_publishes_exactly_the_opted_in_and_names_nobody_else(spark, privacy_world, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    shutil.copytree(privacy_world.landing, landing)
    (landing / "governance").mkdir()
    requests = [
        {"account": f"twitter:{user_id}", "action": "opt_in", "requested_at": "2022-06-06T08:00:00Z"} for user_id, _ in OPTED_IN
    ]
    (landing / "governance" / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in requests))
    config = tmp_path / "config.toml"
    config.write_text('[privacy]\npublish = "opt_in"\n')

    assert nightly(JUNE_6, landing, lake, "--config", str(config)) == 0

    published = {row.person_id: row for row in storage.read(spark, PROFILES, lake).collect()}
    opted_in_ids = {f"twitter:{user_id}" for user_id, _ in OPTED_IN}
    assert set(published) == opted_in_ids
    # Everyone was still scored: the same night published to everyone (the privacy world, opt_out) gives the
    # opted-in persons the same scores, and their explanations the same engagers less those not opted in.
    everyone = {row.person_id: row for row in storage.read(spark, PROFILES, privacy_world.lake).collect()}
    for person_id, row in published.items():
        full = everyone[person_id]
        assert (row.score, row.raw_score, row.pagerank, row.percentile) == (
            full.score,
            full.raw_score,
            full.pagerank,
            full.percentile,
        )
        kept = [engager for engager in full.explanation.top_engagers if engager.person_id in opted_in_ids]
        assert row.explanation.top_engagers == kept
    fan1 = everyone[f"twitter:{FANS[0][0]}"]
    assert len(fan1.explanation.top_engagers) > len(published[f"twitter:{FANS[0][0]}"].explanation.top_engagers), (
        "fan1's full explanation must name someone not opted in, or the check above proves nothing"
    )

    others = re.compile(r"(?<!\w)(" + "|".join(re.escape(name) for pair in OTHERS for name in pair) + r")(?!\w)", re.IGNORECASE)
    for table in (PROFILES, INFLUENCE_SCORES, COMMUNITIES):
        rows = rows_as_json(spark, table, lake)
        assert rows, f"{table.qualified_name} is empty: the scan proves nothing"
        assert not [row for row in rows if others.search(row)], table.qualified_name
    assert {json.loads(row)["person_id"] for row in rows_as_json(spark, INFLUENCE_SCORES, lake)} == opted_in_ids

    export = tmp_path / "export"
    code, _ = run(
        "export", "--date", JUNE_6, "--format", "jsonl", "--out", str(export), "--lake", str(lake), "--config", str(config)
    )
    assert code == 0
    lines = exported_lines(export)
    assert {line["person_id"] for line in lines} == opted_in_ids
    assert not [line for line in lines if others.search(json.dumps(line))]

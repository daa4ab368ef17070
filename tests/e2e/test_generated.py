"""A night on a generated landing folder (influence/generator.py, `influence generate`): four sources in their
real formats, identity links, malformed lines of every reason, a farm and a ring. What the night stored is
checked against the generator's manifest, which counts what it wrote line by line."""

from __future__ import annotations

import collections

from pyspark.sql import functions as F

from influence import storage
from influence.generator import GeneratorSpec, generate
from influence.tables import INTERACTIONS, POSTS, PROFILES, QUARANTINE
from tests.support.cli import nightly, runs

SPEC = GeneratorSpec(persons=300, interactions=4000, seed=5, malformed_fraction=0.005, farm_size=30, ring_size=5)
DAY = SPEC.start.isoformat()


def test_a_generated_night_stores_exactly_what_the_manifest_counts(spark, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    manifest = generate(SPEC, landing)
    written = manifest["days"][DAY]
    assert nightly(DAY, landing / DAY, lake) == 0

    [run] = runs(lake)
    files = {file["source"]: file for file in run["reconciliation"]}
    for source, tally in written.items():
        file = files[source]
        assert file["raw_lines"] == tally["lines"], source
        assert file["reconciled"] is True, source
        assert file["quarantine_reasons"] == tally["malformed"], source
        assert file["conformed"] == tally["interactions"] + tally["posts"], source
        assert file["skipped"] == ({"duplicate": tally["duplicates"]} if tally["duplicates"] else {}), source

    quarantined = collections.Counter(
        (row.source, row.reason.split(":")[0])
        for row in storage.read(spark, QUARANTINE, lake).select("source", "reason").collect()
    )
    assert quarantined == {(source, reason): n for source, tally in written.items() for reason, n in tally["malformed"].items()}

    # every interaction line carries exactly one interaction, and none is lost or doubled
    interactions = storage.read(spark, INTERACTIONS, lake)
    per_source = {row.source: row["count"] for row in interactions.groupBy("source").count().collect()}
    assert per_source == {source: tally["interactions"] for source, tally in written.items()}
    # the reddit replies point at submissions written the same night: every target is resolved
    assert interactions.filter(F.col("target").isNull()).count() == 0
    reddit_posts = storage.read(spark, POSTS, lake).filter(F.col("network") == "reddit").count()
    assert reddit_posts == written["reddit"]["interactions"] + written["reddit"]["posts"]

    # a person with two accounts is one linked person (p-...), scored once
    profiles = storage.read(spark, PROFILES, lake)
    linked = profiles.filter(F.col("person_id").startswith("p-")).count()
    assert 0 < linked <= manifest["identity_links"]["persons"]
    assert profiles.count() == profiles.select("person_id").distinct().count()

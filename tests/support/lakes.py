"""The scenario lakes end-to-end tests share: each is built once per test session (tests/e2e/conftest.py).

A night costs 20-60 s on 2 cores, so a test that only reads uses a scenario's lake directly, and a test
that writes (another night, a CLI command that logs a run, a privacy request) works on its own copy
(`copy_lake`). Delta logs use relative paths, so a copied lake is a lake.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import types as T

from influence import storage
from influence.generator import GeneratorSpec, generate
from influence.tables import PROFILES, RUNS
from tests.support.cli import nightly, nightly_run_id, profiles, run
from tests.support.snap import DAY_ONE, DAY_TWO, JULY_1, WRONG_DUMP, land
from tests.support.twitter import ERASED_ID, JUNE_6, access_dump, land_world, press_desk_status, reader_status

OLD_RUN_ID = "2012-06-30_20120630T230000Z_000000"


def copy_lake(lake: Path, destination: Path) -> Path:
    """A private copy of a shared lake for a test that writes to it. The Spark checkpoint folder is left
    out: nothing in it outlives a job, and Spark's cleaner may be removing files from it meanwhile."""
    shutil.copytree(lake, destination, ignore=shutil.ignore_patterns("_checkpoints"))
    return destination


# Fields of the run log that later releases added, by column: None for a whole column.
ADDED_TO_THE_RUN_LOG = {"data_docs": None, "stages": "spark_jobs", "validation": "engine"}


def _without_added_fields(field: T.StructField) -> T.StructField:
    added = ADDED_TO_THE_RUN_LOG.get(field.name)
    if added is None:
        return field
    element = field.dataType.elementType
    older = T.StructType([nested for nested in element.fields if nested.name != added])
    return T.StructField(field.name, T.ArrayType(older, field.dataType.containsNull), field.nullable)


def older_run_log(spark, lake: Path) -> list[str]:
    """The run log as the first release wrote it: no data_docs column, no Spark job counts in its stages nor
    engines in its validations; one finished run. Returns its columns."""
    old_schema = T.StructType(
        [_without_added_fields(field) for field in RUNS.schema.fields if ADDED_TO_THE_RUN_LOG.get(field.name, "") is not None]
    )
    started = dt.datetime(2012, 6, 30, 23, 0, tzinfo=dt.UTC)
    row = {
        "run_id": OLD_RUN_ID,
        "command": "nightly",
        "run_date": dt.date(2012, 6, 30),
        "status": "published",
        "exit_code": 0,
        "started_at": started,
        "ended_at": started + dt.timedelta(minutes=1),
        "input": None,
        "master": "local[*]",
        "stages": [{"stage": "silver", "seconds": 1.5, "counts": {"raw_lines": 2}}],
        "reconciliation": [],
        "validation": [{"suite": "profiles", "success": True, "evaluated": 12, "failed": [], "seconds": 0.5}],
        "message": "published 2 profiles as of 2012-06-30 (profiles version 1)",
    }
    spark.createDataFrame([row], old_schema).write.format("delta").save(RUNS.path(lake))
    return old_schema.fieldNames()


@dataclass(frozen=True)
class FirstNight:
    """ "First night": DAY_ONE (tests/support/snap.py) landed as snap/day1.txt and published for 2012-07-01
    on a new lake. gold/profiles holds accounts 1-16 (17 and 18 are on the quarantined line); the run log
    holds this one run."""

    landing: Path
    lake: Path
    run_id: str
    profiles_version: int


def build_first_night(spark, base: Path) -> FirstNight:
    landing, lake = land(base / "landing", "day1.txt", DAY_ONE), base / "lake"
    run_id = nightly_run_id("2012-07-01", landing, lake)
    return FirstNight(landing, lake, run_id, storage.current_version(spark, PROFILES, lake))


@dataclass(frozen=True)
class SecondNight:
    """ "Second night": a copy of the first night, then DAY_TWO (tests/support/snap.py) landed as snap/day2.txt
    and published for 2012-07-02: accounts 20 and 21 are new, and its last line is a day-one event again."""

    landing: Path
    lake: Path
    run_id: str


def build_second_night(first: FirstNight, base: Path) -> SecondNight:
    lake = copy_lake(first.lake, base / "lake")
    landing = land(base / "landing", "day2.txt", DAY_TWO)
    return SecondNight(landing, lake, nightly_run_id("2012-07-02", landing, lake))


# "Two nights": night two lands a corrected snap/day1.txt for the same date: the line `15 16 ... RT` is gone
# and `20 2 ... RT` is new. A changed file replaces its lines (docs/pipeline.md), so the graph loses 15 and 16
# and gains 20, and the profiles MERGE deletes 15 and 16, inserts 20 and updates 1-14 (the graph now has 15
# vertices instead of 16, so every PageRank changes).
RUN_DATE = "2012-07-01"
NIGHT_ONE = DAY_ONE
NIGHT_TWO = [line for line in DAY_ONE if not line.startswith("15 16 ")] + [f"20 2 {JULY_1 + 3600} RT"]
NIGHT_ONE_ACCOUNTS = {str(n) for n in range(1, 17)}
REMOVED, ADDED = {"15", "16"}, {"20"}
KEPT = NIGHT_ONE_ACCOUNTS - REMOVED
NIGHT_TWO_ACCOUNTS = KEPT | ADDED


@dataclass(frozen=True)
class TwoNights:
    """ "Two nights": a copy of the first night, then NIGHT_TWO for the same date 2012-07-01, published."""

    lake: Path
    night_one_version: int  # gold/profiles version after each night
    night_two_version: int
    night_one_run_id: str
    night_two_run_id: str


def build_two_nights(spark, first: FirstNight, base: Path) -> TwoNights:
    lake = copy_lake(first.lake, base / "lake")
    run_id = nightly_run_id(RUN_DATE, land(base / "landing", "day1.txt", NIGHT_TWO), lake)
    return TwoNights(lake, first.profiles_version, storage.current_version(spark, PROFILES, lake), first.run_id, run_id)


@dataclass(frozen=True)
class HeldBackNight:
    """ "Held-back night", on a lake whose run log was created before the data_docs column existed (one
    finished run of an older release, OLD_RUN_ID): DAY_ONE published for 2012-07-01, then WRONG_DUMP for
    2012-07-02, which fails validation at the silver stage (exit 1) and publishes nothing.
    night_one_*: gold/profiles as the first night left it."""

    lake: Path
    night_one_version: int
    night_one_profiles: list[tuple]


def build_held_back_night(spark, base: Path) -> HeldBackNight:
    lake = base / "lake"
    older_run_log(spark, lake)
    assert nightly("2012-07-01", land(base / "d1", "day1.txt", DAY_ONE), lake) == 0
    version, published = storage.current_version(spark, PROFILES, lake), profiles(spark, lake)
    assert nightly("2012-07-02", land(base / "d2", "day2.txt", WRONG_DUMP), lake) == 1
    return HeldBackNight(lake, version, published)


@dataclass(frozen=True)
class PrivacyWorld:
    """ "Privacy world": the world of 2022-06-06 (tests/support/twitter.py: the person to erase tweets 5001,
    five fans engage) plus a press desk whose bio holds an e-mail address and a phone number, and a reader
    who mentions fans 4 and 5 (the trust seed left when the person or fan1 is suppressed), published.
    landing holds the three files (twitter_v1/tweets-, press- and reader-2022-06-06.jsonl)."""

    landing: Path
    lake: Path
    profiles_version: int


def build_privacy_world(spark, base: Path) -> PrivacyWorld:
    landing, lake = land_world(base / "landing", JUNE_6, "5001"), base / "lake"
    (landing / "twitter_v1" / f"press-{JUNE_6}.jsonl").write_text(press_desk_status() + "\n")
    (landing / "twitter_v1" / f"reader-{JUNE_6}.jsonl").write_text(reader_status() + "\n")
    assert nightly(JUNE_6, landing, lake) == 0
    return PrivacyWorld(landing, lake, storage.current_version(spark, PROFILES, lake))


def copy_world(world: PrivacyWorld, base: Path) -> tuple[Path, Path]:
    """Private copies of the world's landing folder and lake: (landing, lake)."""
    shutil.copytree(world.landing, base / "landing")
    return base / "landing", copy_lake(world.lake, base / "lake")


ACCESS_PERSON = f"twitter:{ERASED_ID}"


def build_access_lake(base: Path) -> Path:
    """ "Access lake": one night of access_dump() for 2022-06-06, then an opt-out of the person (recorded
    with reference "case 7"; it takes effect the next night, so tonight's profiles still hold them)."""
    (base / "landing" / "twitter_v1").mkdir(parents=True)
    (base / "landing" / "twitter_v1" / "tweets.jsonl").write_text("\n".join(access_dump()) + "\n", encoding="utf-8")
    config = base / "config.toml"  # one quarantined line in 15 is above the default 5% of a night
    config.write_text("[validation]\nmax_quarantine_fraction = 0.2\n", encoding="utf-8")
    assert nightly(JUNE_6, base / "landing", base / "lake", "--config", str(config)) == 0
    assert run("optout", "--account", ACCESS_PERSON, "--reference", "case 7", "--lake", str(base / "lake"))[0] == 0
    return base / "lake"


ANALYST_SPEC = GeneratorSpec(persons=200, interactions=2500, days=2, seed=17)


@dataclass(frozen=True)
class AnalystLake:
    """ "Analyst lake": two generated days (ANALYST_SPEC: four sources with text in several languages, so
    topics, communities, moments and quarantined lines) published night after night, as the notebooks expect
    of the lake `make run` builds, with a second night for time travel. dates: the run dates, oldest first."""

    lake: Path
    dates: tuple[str, ...]


def build_analyst_lake(base: Path) -> AnalystLake:
    manifest = generate(ANALYST_SPEC, base / "landing")
    dates = tuple(sorted(manifest["days"]))
    for date in dates:
        assert nightly(date, base / "landing" / date, base / "lake") == 0, date
    return AnalystLake(base / "lake", dates)

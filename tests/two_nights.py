"""One lake after two nights, built once per test session and shared by the contract, export and delta-rs tests
(each nightly run costs 20-40 s on 2 cores).

Night one publishes DAY_ONE for 2012-07-01: accounts 1-16 (17 and 18 are on a quarantined line).
Night two lands a corrected file of the same name for the same date: the line `15 16 ... RT` is gone and
`20 2 ... RT` is new. A changed file replaces its lines (docs/pipeline.md), so the graph loses 15 and 16 and
gains 20, and the profiles MERGE deletes 15 and 16, inserts 20 and updates 1-14 (the graph now has 15
vertices instead of 16, so every PageRank changes).
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from influence import storage
from influence.tables import PROFILES
from tests.test_nightly import DAY_ONE, JULY_1, land, nightly

RUN_DATE = "2012-07-01"
NIGHT_ONE = DAY_ONE
NIGHT_TWO = [line for line in DAY_ONE if not line.startswith("15 16 ")] + [f"20 2 {JULY_1 + 3600} RT"]
NIGHT_ONE_ACCOUNTS = {str(n) for n in range(1, 17)}
REMOVED, ADDED = {"15", "16"}, {"20"}
KEPT = NIGHT_ONE_ACCOUNTS - REMOVED
NIGHT_TWO_ACCOUNTS = KEPT | ADDED


@dataclass(frozen=True)
class TwoNights:
    lake: Path
    night_one_version: int  # gold/profiles version after each night
    night_two_version: int
    night_one_run_id: str
    night_two_run_id: str


_built: list[TwoNights] = []


def _run(lake: Path, landing: Path) -> str:
    """Run the night; returns the run id the CLI printed ("run <id>: published ...")."""
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert nightly(RUN_DATE, landing, lake) == 0
    return printed.getvalue().split()[1].rstrip(":")


def two_nights(spark, tmp_path_factory) -> TwoNights:
    if not _built:
        base = tmp_path_factory.mktemp("two_nights")
        lake = base / "lake"
        run_one = _run(lake, land(base / "landing", "day1.txt", NIGHT_ONE))
        version_one = storage.current_version(spark, PROFILES, lake)
        run_two = _run(lake, land(base / "landing", "day1.txt", NIGHT_TWO))
        version_two = storage.current_version(spark, PROFILES, lake)
        _built.append(TwoNights(lake, version_one, version_two, run_one, run_two))
    return _built[0]

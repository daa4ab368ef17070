"""The `influence` command line as the tests drive it: in-process through jobs.cli.main, stdout captured."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

from influence import storage
from influence.tables import PROFILES
from jobs.cli import main


def run(*argv: str) -> tuple[int, str]:
    """Exit code and printed output of `influence ARGV...`."""
    printed = io.StringIO()
    with redirect_stdout(printed):
        code = main(list(argv))
    return code, printed.getvalue()


def nightly(date: str, landing: Path, lake: Path, *extra: str) -> int:
    return main(["nightly", "--date", date, "--input", str(landing), "--lake", str(lake), *extra])


def nightly_run_id(date: str, landing: Path, lake: Path, *extra: str) -> str:
    """Run a night that must publish; returns the run id the CLI printed ("run <id>: published ...")."""
    code, printed = run("nightly", "--date", date, "--input", str(landing), "--lake", str(lake), *extra)
    assert code == 0, printed
    return printed.split()[1].rstrip(":")


def runs(lake: Path) -> list[dict]:
    """`influence runs --json`: the run log, newest first."""
    code, printed = run("runs", "--lake", str(lake), "--json")
    assert code == 0
    return json.loads(printed)


def profiles(spark, lake: Path) -> list[tuple]:
    return sorted(tuple(row) for row in storage.read(spark, PROFILES, lake).collect())

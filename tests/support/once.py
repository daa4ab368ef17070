"""A scenario lake built once per test run, however many processes run the suite (make test runs two).

Each pytest-xdist process has a session of its own, so a session-scoped fixture alone builds a scenario once
per process: with two processes, most scenarios were built twice, a full night each time. Here the first
process to ask builds it in the run's shared temporary folder while holding a file lock; any other process
waits on the lock, then reads what was built from a small record beside it.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

Scenario = TypeVar("Scenario")


def run_folder(tmp_path_factory) -> Path:
    """The temporary folder all of this run's processes share: under xdist each process's own (popen-gwN)
    sits in it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory, name: str, build: Callable[[Path], Scenario]) -> Scenario:
    """`build(folder)` run once per test run for `name`; every process gets the same (picklable) result."""
    scenarios = run_folder(tmp_path_factory) / "scenarios"
    scenarios.mkdir(exist_ok=True)
    folder, record = scenarios / name, scenarios / f"{name}.pickle"
    with open(scenarios / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when a process dies holding it
        if record.exists():
            return pickle.loads(record.read_bytes())
        shutil.rmtree(folder, ignore_errors=True)  # what a failed build in another process left
        folder.mkdir()
        scenario = build(folder)
        record.write_bytes(pickle.dumps(scenario))
        return scenario

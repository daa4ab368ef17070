"""The test processes' module order (tests/support/schedule.py) names modules that exist."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from tests.support.schedule import LONGEST_FIRST, longest_first

ROOT = Path(__file__).resolve().parents[2]


def test_every_listed_module_exists_and_is_listed_once():
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
    assert [module for module in LONGEST_FIRST if not (ROOT / module).is_file()] == []


def test_listed_modules_come_first_in_the_lists_order_and_the_rest_keep_theirs():
    first, second = LONGEST_FIRST[0], LONGEST_FIRST[1]
    nodeids = [
        "tests/unit/a.py::one",
        f"{second}::x",
        "tests/unit/b.py::two",
        f"{first}::y",
        f"{second}::z",
        "tests/unit/a.py::three",
    ]
    ordered = [item.nodeid for item in longest_first([SimpleNamespace(nodeid=nodeid) for nodeid in nodeids])]
    assert ordered == [
        f"{first}::y",
        f"{second}::x",
        f"{second}::z",
        "tests/unit/a.py::one",
        "tests/unit/b.py::two",
        "tests/unit/a.py::three",
    ]

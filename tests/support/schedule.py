"""The order in which `make test`'s two processes take the test modules: the longest first.

pytest-xdist (`--dist loadfile`) hands out whole modules, by default those with the most tests first. Here
the most tests are cheap unit modules, so the end-to-end modules, each a few minute-long tests, came last,
and one process could still be running one while the other had nothing left. A process takes its next
module as it nears the end of its current one, so with the longest first the last modules handed out are
short and both processes finish close together.

The list is ordered by each module's seconds in a whole run (timed per test, 7 December 2026), except that
neighbours do not share a scenario lake (tests/e2e/conftest.py): the two processes take neighbours at about
the same time, and one would wait while the other builds it. Modules not listed follow in collection order.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

LONGEST_FIRST = (
    "tests/e2e/test_operations.py",  # 271 s: first_night, second_night; four nights killed in processes of their own
    "tests/unit/model/test_pagerank.py",  # 202 s: no scenario lake
    "tests/e2e/test_nightly.py",  # 256 s: first_night, second_night, two_nights, held_back_night
    "tests/e2e/test_privacy.py",  # 175 s: privacy_world
    "tests/e2e/test_cluster.py",  # 125 s: first_night
    "tests/e2e/test_object_store.py",  # 126 s: privacy_world
    "tests/e2e/test_notebooks.py",  # 103 s: analyst_lake
    "tests/e2e/test_ingest.py",  # 100 s
    "tests/e2e/test_erasure_scope.py",  # 118 s: analyst_lake, privacy_world
    "tests/e2e/test_quality_gate.py",  # 88 s: first_night
    "tests/unit/model/test_model.py",  # 70 s
    "tests/e2e/test_catalog.py",  # 77 s: first_night, two_nights
    "tests/unit/connectors/test_connectors_fuzz.py",  # 58 s
    "tests/e2e/test_publish.py",  # 51 s: first_night
    "tests/e2e/test_access.py",  # 50 s: access_lake
    "tests/unit/connectors/test_snap_parser.py",  # 49 s
    "tests/unit/model/test_communities.py",  # 48 s
    "tests/e2e/test_generated.py",  # 33 s
    "tests/e2e/test_consent_first.py",  # 31 s: privacy_world
    "tests/unit/connectors/test_landing.py",  # 26 s
)


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def longest_first(items: Sequence[pytest.Item]) -> list[pytest.Item]:
    """items with the listed modules first, in the list's order; within a module, and for the modules not
    listed, the collection order is kept."""
    rank = {module: position for position, module in enumerate(LONGEST_FIRST)}
    return sorted(items, key=lambda item: rank.get(module_of(item.nodeid), len(rank)))

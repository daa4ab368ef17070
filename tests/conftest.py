"""One Spark session for the whole test run, built by the same builder the jobs use, and the order in which
the test processes take the modules (tests/support/schedule.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# pyspark.testing imports pyspark.pandas when pyarrow is installed, which warns unless this is set.
os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")

from influence.config import load_config
from influence.session import build_spark
from tests.support.schedule import longest_first

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    # One driver per test process (make test runs two, pytest-xdist): one core and one shuffle partition,
    # since the tests' frames are small and a second partition only adds tasks. 6 GB of heap: 2g, then 4g,
    # ran out near the end of a full run in one process; the machine has 24 GB. The e2e modules also drop
    # their tables' states.
    base = tmp_path_factory.mktemp("spark")
    config = load_config(lake=str(base / "lake"), master="local[1]").with_spark(
        shuffle_partitions=1, ui_enabled=False, checkpoint_dir=str(base / "checkpoints"), driver_memory="6g"
    )
    # with the S3A jars, for the object-store lake's tests (tests/e2e/test_object_store.py)
    session = build_spark(config, app_name="influence-tests", also_schemes=("s3a",))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: the real public datasets (see its README); tests needing it skip without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


def pytest_configure(config):
    # pytest-xdist hands the modules out in the order collected below, not sorted by their numbers of tests
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items):
    items[:] = longest_first(items)

"""The scenario lakes, each built once per test session (tests/support/lakes.py says what each holds).

Read them directly; a test that writes copies the lake first (`copy_lake(scenario.lake, tmp_path / "lake")`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from influence.session import forget_tables
from tests.support.lakes import (
    FirstNight,
    HeldBackNight,
    PrivacyWorld,
    SecondNight,
    TwoNights,
    build_access_lake,
    build_first_night,
    build_held_back_night,
    build_privacy_world,
    build_second_night,
    build_two_nights,
)


@pytest.fixture(scope="module", autouse=True)
def forget_tables_after_module(spark):
    """Each module's temporary lakes are not read again: their Delta states leave the driver's heap."""
    yield
    forget_tables(spark)


@pytest.fixture(scope="session")
def first_night(spark, tmp_path_factory) -> FirstNight:
    return build_first_night(spark, tmp_path_factory.mktemp("first_night"))


@pytest.fixture(scope="session")
def second_night(first_night, tmp_path_factory) -> SecondNight:
    return build_second_night(first_night, tmp_path_factory.mktemp("second_night"))


@pytest.fixture(scope="session")
def two_nights(spark, first_night, tmp_path_factory) -> TwoNights:
    return build_two_nights(spark, first_night, tmp_path_factory.mktemp("two_nights"))


@pytest.fixture(scope="session")
def held_back_night(spark, tmp_path_factory) -> HeldBackNight:
    return build_held_back_night(spark, tmp_path_factory.mktemp("held_back_night"))


@pytest.fixture(scope="session")
def privacy_world(spark, tmp_path_factory) -> PrivacyWorld:
    return build_privacy_world(spark, tmp_path_factory.mktemp("privacy_world"))


@pytest.fixture(scope="session")
def access_lake(spark, tmp_path_factory) -> Path:
    return build_access_lake(tmp_path_factory.mktemp("access"))

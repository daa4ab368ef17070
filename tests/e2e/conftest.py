"""The scenario lakes, each built once per test run by whichever process asks first (tests/support/once.py;
tests/support/lakes.py says what each holds).

Read them directly; a test that writes copies the lake first (`copy_lake(scenario.lake, tmp_path / "lake")`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from influence.session import forget_tables
from tests.support.lakes import (
    AnalystLake,
    FirstNight,
    HeldBackNight,
    PrivacyWorld,
    SecondNight,
    TwoNights,
    build_access_lake,
    build_analyst_lake,
    build_first_night,
    build_held_back_night,
    build_privacy_world,
    build_second_night,
    build_two_nights,
)
from tests.support.once import built_once


@pytest.fixture(scope="module", autouse=True)
def forget_tables_after_module(spark):
    """Each module's temporary lakes are not read again: their Delta states leave the driver's heap."""
    yield
    forget_tables(spark)


@pytest.fixture(scope="session")
def first_night(spark, tmp_path_factory) -> FirstNight:
    return built_once(tmp_path_factory, "first_night", lambda folder: build_first_night(spark, folder))


@pytest.fixture(scope="session")
def second_night(first_night, tmp_path_factory) -> SecondNight:
    return built_once(tmp_path_factory, "second_night", lambda folder: build_second_night(first_night, folder))


@pytest.fixture(scope="session")
def two_nights(spark, first_night, tmp_path_factory) -> TwoNights:
    return built_once(tmp_path_factory, "two_nights", lambda folder: build_two_nights(spark, first_night, folder))


@pytest.fixture(scope="session")
def held_back_night(spark, tmp_path_factory) -> HeldBackNight:
    return built_once(tmp_path_factory, "held_back_night", lambda folder: build_held_back_night(spark, folder))


@pytest.fixture(scope="session")
def privacy_world(spark, tmp_path_factory) -> PrivacyWorld:
    return built_once(tmp_path_factory, "privacy_world", lambda folder: build_privacy_world(spark, folder))


@pytest.fixture(scope="session")
def access_lake(spark, tmp_path_factory) -> Path:
    return built_once(tmp_path_factory, "access", build_access_lake)


@pytest.fixture(scope="session")
def analyst_lake(spark, tmp_path_factory) -> AnalystLake:
    return built_once(tmp_path_factory, "analyst", build_analyst_lake)

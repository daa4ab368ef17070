"""A night on a real Spark standalone cluster (a master and two one-core workers started from the installed
pyspark, influence/cluster.py) publishes what the same night published in local mode (the first-night
scenario: local[1], one shuffle partition)."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest

from influence import cluster as cluster_module
from influence.cluster import StandaloneCluster, main as cluster_main, standalone_cluster
from influence.errors import UsageError
from influence.session import require_reachable_master
from influence.tables import COMMUNITIES, INFLUENCE_SCORES, PROFILES
from tests.support.compare import differences, rows
from tests.support.jvm import short_lived_jvm_env, short_lived_jvm_options


def test_a_night_on_a_standalone_cluster_publishes_what_local_mode_published(spark, first_night, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    # the first night's key, so that keyed values (profile_key, community_id) can be compared
    key_file = first_night.lake / "governance" / "_key"
    command = [
        *(sys.executable, "-m", "jobs.cli", "nightly", "--date", "2012-07-01"),
        *("--input", str(first_night.landing), "--lake", str(lake)),
        *("--set", f"privacy.key_file={key_file}", "--set", "spark.shuffle_partitions=2"),
    ]
    # the master, the workers and the executors they start are JVMs of this one night (tests/support/jvm.py)
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", short_lived_jvm_options())
    with standalone_cluster(tmp_path / "cluster", workers=2) as cluster:
        night = subprocess.run(
            [*command, "--master", cluster.master],
            env=short_lived_jvm_env(PYARROW_IGNORE_TIMEZONE="1"),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        status = cluster.status()
    assert night.returncode == 0, night.stderr[-4000:]
    assert "published 16 profiles" in night.stdout

    # it ran on the cluster: one application, with an executor on each worker (each keeps a folder per app)
    assert status["aliveworkers"] == 2
    [application] = [app for app in status["completedapps"] if app["name"].startswith("influence-nightly")]
    for worker in ("worker-0", "worker-1"):
        assert (tmp_path / "cluster" / worker / application["id"]).is_dir(), worker

    for table in (PROFILES, COMMUNITIES, INFLUENCE_SCORES):
        on_cluster, in_local_mode = rows(spark, table, lake), rows(spark, table, first_night.lake)
        assert len(on_cluster) == len(in_local_mode) > 0
        assert differences(on_cluster, in_local_mode) == [], table.name

    # the cluster is gone once the block is left
    with pytest.raises(UsageError, match="is not reachable"):
        require_reachable_master(cluster.master, timeout_seconds=2)


def test_a_cluster_needs_a_worker_with_a_core(capsys):
    assert cluster_main(["--workers", "0", "--", "true"]) == 2
    assert "at least one worker with at least one core" in capsys.readouterr().err


def test_a_command_that_cannot_run_is_a_clear_error_and_the_cluster_still_stops(monkeypatch, tmp_path, capsys):
    stopped = []

    @contextlib.contextmanager
    def pretend_cluster(folder, workers, cores, memory):
        yield StandaloneCluster("spark://127.0.0.1:1", "http://127.0.0.1:1/json/", tmp_path)
        stopped.append(True)

    monkeypatch.setattr(cluster_module, "standalone_cluster", pretend_cluster)
    assert cluster_main(["--", str(tmp_path / "no-such-command")]) == 2
    assert "cannot run" in capsys.readouterr().err
    assert stopped == [True]

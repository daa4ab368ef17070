"""Set-up failures a new user can hit: each must end in one clear sentence, not a JVM stack trace."""

from __future__ import annotations

import gzip
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from influence import jars
from influence.config import load_config
from influence.errors import EnvironmentProblem, MissingJar, UsageError
from influence.session import (
    adaptive_execution,
    session_settings,
    shuffle_partitions_for,
    shuffles_sized,
    superstep_partitions,
    superstep_settings,
)
from stages.landing import LandedFile, landed_bytes

ROOT = Path(__file__).resolve().parents[2]


def fake_java(tmp_path: Path, version_line: str) -> Path:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(0o755)
    return home


@pytest.mark.parametrize(
    "version_line, major",
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21.0.2" 2024-01-16', 21),
        ('openjdk version "25.0.1" 2025-10-21', 25),
        ('java version "1.8.0_412"', 8),
    ],
)
def test_java_major_reads_the_version_line(tmp_path, version_line, major):
    assert jars.java_major(str(fake_java(tmp_path, version_line)))[0] == major


def test_an_unsupported_java_is_named_in_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, 'openjdk version "25.0.1" 2025-10-21')))
    with pytest.raises(EnvironmentProblem) as raised:
        jars.require_supported_java()
    message = str(raised.value)
    assert "needs Java 17 or 21" in message and "Java 25" in message and "JAVA_HOME" in message
    assert "\n" not in message


def test_an_artifact_that_cannot_be_resolved_names_itself_and_both_fixes(tmp_path, monkeypatch):
    monkeypatch.setenv("INFLUENCE_CACHE_DIR", str(tmp_path / "cache"))
    missing = jars.Artifact("io.delta", "delta-does-not-exist_2.13", ("0.0.1",), "Delta Lake", required=True)
    with pytest.raises(EnvironmentProblem) as raised:
        jars.resolve(missing)
    message = str(raised.value)
    assert "io.delta:delta-does-not-exist_2.13:0.0.1" in message
    assert "Maven Central" in message and "INFLUENCE_JARS_DIR" in message and "influence jars --out" in message
    assert "JAVA_GATEWAY_EXITED" not in message and "\n" not in message


def test_an_optional_artifact_that_cannot_be_resolved_is_remembered_and_skipped(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("INFLUENCE_CACHE_DIR", str(tmp_path / "cache"))
    optional = jars.Artifact("io.example", "nothing-here_2.13", ("0.0.1",), "Example", required=False)
    assert jars.resolve(optional) == []
    assert "continuing without it" in caplog.text
    assert "io.example:nothing-here_2.13" in (tmp_path / "cache" / "jars.json").read_text()
    # remembered: no second download attempt (which would take seconds) until refresh
    monkeypatch.setattr(jars, "_resolve_with_ivy", lambda *a: pytest.fail("tried to download again"))
    assert jars.resolve(optional) == []


def test_cached_jars_are_used_without_any_download(tmp_path, monkeypatch):
    monkeypatch.setenv("INFLUENCE_CACHE_DIR", str(tmp_path / "cache"))
    jar = tmp_path / "delta-spark_4.1_2.13-4.4.0.jar"
    jar.write_bytes(b"PK")
    jars._write_manifest(tmp_path / "cache" / "jars.json", {jars.DELTA.key: {"version": "4.4.0", "jars": [str(jar)]}})
    monkeypatch.setattr(jars, "_resolve_with_ivy", lambda *a: pytest.fail("tried to download"))
    assert jars.resolve(jars.DELTA) == [jar]


def _resolve_delta_in_a_process(results) -> None:
    results.put([str(p) for p in jars.resolve(jars.DELTA)])


def test_processes_starting_at_once_resolve_an_artifact_once(tmp_path, monkeypatch):
    """Two test workers on a new machine used to download into the same Ivy folder at once, and each saw
    the other's half-written files as missing artifacts."""
    monkeypatch.setenv("INFLUENCE_CACHE_DIR", str(tmp_path / "cache"))
    calls = tmp_path / "calls.txt"
    jar = tmp_path / "delta-spark_4.1_2.13-4.4.1.jar"

    def slow_download(artifact, version, ivy_dir):
        with calls.open("a") as log:
            log.write(f"{os.getpid()}\n")
        time.sleep(1.0)  # long enough for the other process to ask meanwhile
        jar.write_bytes(b"PK")
        return [jar], ""

    monkeypatch.setattr(jars, "_resolve_with_ivy", slow_download)
    monkeypatch.setattr(jars, "require_supported_java", lambda: None)
    context = multiprocessing.get_context("fork")  # the patches above travel with the fork
    results = context.Queue()
    workers = [context.Process(target=_resolve_delta_in_a_process, args=(results,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    found = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert found == [[str(jar)], [str(jar)]]
    assert len(calls.read_text().splitlines()) == 1  # the second process found the first one's manifest


def test_a_jars_folder_supplies_what_it_holds_and_the_rest_is_resolved(tmp_path, monkeypatch):
    monkeypatch.setenv("INFLUENCE_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "jars"
    folder.mkdir()
    for name in ("graphframes-spark4_2.13-0.11.0.jar", "graphframes-graphx-spark4_2.13-0.11.0.jar"):
        (folder / name).write_bytes(b"PK")
    cached_delta = tmp_path / "delta-spark_4.1_2.13-4.4.0.jar"
    cached_delta.write_bytes(b"PK")
    jars._write_manifest(tmp_path / "cache" / "jars.json", {jars.DELTA.key: {"version": "4.4.0", "jars": [str(cached_delta)]}})
    monkeypatch.setattr(jars, "_resolve_with_ivy", lambda *a: pytest.fail("tried to download"))
    assert sorted(p.name for p in jars.session_jars(str(folder))) == [
        cached_delta.name,
        "graphframes-graphx-spark4_2.13-0.11.0.jar",
        "graphframes-spark4_2.13-0.11.0.jar",
    ]
    with pytest.raises(MissingJar, match="does not exist"):
        jars.session_jars(str(tmp_path / "missing"))


def test_graphframes_core_without_its_graphx_jar_is_not_enough():
    assert not jars.GRAPHFRAMES.present_in([Path("graphframes-spark4_2.13-0.11.0.jar")])
    assert jars.GRAPHFRAMES.present_in(
        [Path("graphframes-graphx-spark4_2.13-0.11.0.jar"), Path("graphframes-spark4_2.13-0.11.0.jar")]
    )


def test_the_cli_reports_a_missing_graphframes_jar_with_exit_2_before_anything_is_written(tmp_path):
    folder = tmp_path / "jars-without-graphframes"
    folder.mkdir()
    (folder / "delta-spark_4.1_2.13-4.4.0.jar").write_bytes(b"PK")
    env = {**os.environ, "INFLUENCE_JARS_DIR": str(folder), "INFLUENCE_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "jobs.cli", "nightly", "--date", "2012-07-01", "--lake", str(tmp_path / "lake")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 2, done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert "io.graphframes:graphframes-spark4_2.13:0.11.0" in message
    assert "io.graphframes:graphframes-graphx-spark4_2.13:0.11.0" in message
    assert "Maven Central" in message and "INFLUENCE_JARS_DIR" in message
    assert "Traceback" not in done.stderr and "JAVA_GATEWAY_EXITED" not in done.stderr
    assert not (tmp_path / "lake").exists()


def test_config_precedence_flag_over_environment_over_file(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text('lake = "/from/file"\n[spark]\nmaster = "spark://file:7077"\nshuffle_partitions = 3\n')
    from_file = load_config(file, environ={})
    assert (from_file.lake, from_file.spark.master, from_file.spark.shuffle_partitions) == ("/from/file", "spark://file:7077", 3)
    from_env = load_config(file, environ={"SPARK_MASTER": "spark://env:7077", "INFLUENCE_JARS_DIR": "/jars"})
    assert (from_env.spark.master, from_env.spark.jars_dir) == ("spark://env:7077", "/jars")
    from_flags = load_config(file, lake="/flag", master="local[1]", environ={"SPARK_MASTER": "spark://env:7077"})
    assert (from_flags.lake, from_flags.spark.master) == ("/flag", "local[1]")
    assert load_config(environ={}).pagerank.damping == 0.85


@pytest.mark.parametrize(
    "text, message",
    [
        ("[pagerank]\ndamping = 1.5\n", "pagerank.damping must be in (0, 1)"),
        ("[pagerank]\ndamping = 'high'\n", "damping must be float"),
        ("[spark]\nshuffle_partitions = true\n", "shuffle_partitions must be int"),
        ("[sparks]\nmaster = 'x'\n", "unknown key(s) sparks"),
        ("lake = \n", "not valid TOML"),
        ("[model]\nhalf_life_days = -1\n", "model.half_life_days must be >= 0"),
        ("[model.kind_weights]\nreshare = 0\n", "model.kind_weights.reshare must be > 0"),
        ("[model.kind_weights]\nfavourite = 1.0\n", "unknown key(s) favourite in [model.kind_weights]"),
        ("[model.trust]\nuntrusted_vote = 1.5\n", "model.trust.untrusted_vote must be in [0, 1]"),
        ("[model.trust]\nseed_min_engaged = 0\n", "model.trust.seed_min_engaged must be >= 1"),
        ("[model.trust]\nseed_min_age_days = 90\n", "model.trust.seed_min_age_days must be >= 0 and below model.window_days"),
        ("[pagerank]\nmax_error = 1.0\n", "pagerank.max_error must be in [0, 1)"),
        ("[model]\nsmoothing = 1.5\n", "model.smoothing must be in (0, 1]"),
        ("[model]\nreference_file = '/no/such/reference.json'\n", "model.reference_file: /no/such/reference.json does not exist"),
    ],
)
def test_bad_config_files_are_refused_with_the_reason(tmp_path, text, message):
    file = tmp_path / "c.toml"
    file.write_text(text)
    with pytest.raises(UsageError) as raised:
        load_config(file, environ={})
    assert message in str(raised.value)


def test_the_model_can_be_switched_to_plain_weighted_pagerank(tmp_path):
    """Decay, window and kind weights each switch off, so a SNAP edge list's weights can be checked."""
    file = tmp_path / "c.toml"
    file.write_text("[model]\nwindow_days = 0\nhalf_life_days = 0\nuse_kind_weights = false\n[model.trust]\nenabled = false\n")
    model = load_config(file, environ={}).model
    assert (model.window_days, model.half_life_days, model.use_kind_weights, model.trust.enabled) == (0, 0.0, False, False)


def test_the_config_hash_follows_every_model_setting(tmp_path):
    from influence.model import config_hash

    base = load_config(environ={})
    changed = tmp_path / "c.toml"
    changed.write_text("[model.kind_weights]\nlike = 0.3\n")
    assert config_hash(base) == config_hash(load_config(environ={}))
    assert config_hash(base) != config_hash(load_config(changed, environ={}))
    assert len(config_hash(base)) == 64


def test_a_missing_config_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_config(tmp_path / "nope.toml", environ={})


def test_a_folder_written_by_influence_jars_supplies_every_artifact_with_no_download(tmp_path, monkeypatch):
    """`influence jars --out` copies jars named as Ivy's cache names them (group_artifact-version.jar): a folder of
    them supplies every artifact with no download, the S3A one with the AWS SDK bundle it cannot run without."""
    monkeypatch.setenv("INFLUENCE_CACHE_DIR", str(tmp_path / "cache"))
    names = [
        "io.delta_delta-spark_4.1_2.13-4.4.0.jar",
        "io.graphframes_graphframes-spark4_2.13-0.11.0.jar",
        "io.graphframes_graphframes-graphx-spark4_2.13-0.11.0.jar",
        f"org.apache.hadoop_hadoop-aws-{jars.HADOOP_VERSION}.jar",
        "software.amazon.awssdk_bundle-2.29.52.jar",
    ]
    folder = tmp_path / "jars"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"PK")
    monkeypatch.setattr(jars, "_resolve_with_ivy", lambda *a: pytest.fail("tried to download"))
    assert sorted(p.name for p in jars.session_jars(str(folder), (jars.HADOOP_AWS,))) == sorted(names)
    assert not jars.HADOOP_AWS.present_in([folder / names[0]])
    assert not jars.HADOOP_AWS.present_in([folder / names[3]])  # hadoop-aws without the AWS SDK
    assert jars.HADOOP_AWS.present_in([Path(f"hadoop-aws-{jars.HADOOP_VERSION}.jar"), Path("bundle-2.29.52.jar")])
    assert "influence jars --out DIR --s3a" in jars.how_to_fix(jars.HADOOP_AWS)
    assert "org.apache.hadoop:hadoop-aws:" in jars.how_to_fix(jars.HADOOP_AWS)


def test_a_night_gets_one_shuffle_partition_per_128_mib_landed_and_never_fewer_than_the_session_has():
    mib, per_partition = 1024 * 1024, load_config(lake="/nonexistent-lake", environ={}).spark.shuffle_partition_bytes
    assert per_partition == 128 * mib
    sizes = (0, 300 * mib, 513 * mib, 3_300 * mib)
    assert [shuffle_partitions_for(4, size, per_partition) for size in sizes] == [4, 4, 5, 26]
    assert [shuffle_partitions_for(1, size, per_partition) for size in sizes] == [1, 3, 5, 26]
    assert shuffle_partitions_for(4, 3_300 * mib, 0) == 4  # sizing off


def test_landed_bytes_count_a_compressed_file_at_four_times_its_size(tmp_path):
    plain, packed = tmp_path / "day.txt", tmp_path / "day.txt.gz"
    plain.write_bytes(b"1 2 1341100800 RT\n" * 100)
    with gzip.open(packed, "wb") as stream:
        stream.write(b"1 2 1341100800 RT\n" * 100)
    landed = [LandedFile("snap", plain, "snap/day.txt"), LandedFile("snap", packed, "snap/day.txt.gz")]
    assert landed_bytes(landed) == 1_800 + 4 * packed.stat().st_size


def test_adaptive_execution_is_on_above_one_shuffle_partition(spark):
    assert [adaptive_execution(partitions) for partitions in (1, 2, 4, 26)] == ["false", "true", "true", "true"]
    # the test session is built with one partition (tests/conftest.py)
    assert spark.conf.get("spark.sql.shuffle.partitions") == "1"
    assert spark.conf.get("spark.sql.adaptive.enabled") == "false"


def test_a_pregel_run_gets_one_shuffle_partition_per_2_million_edges_and_never_more_than_the_session_has():
    edges = (0, 1, 2_000_000, 2_000_001, 9_990_932, 60_000_000)
    assert [superstep_partitions(count, 200) for count in edges] == [1, 1, 1, 2, 5, 30]
    assert [superstep_partitions(count, 4) for count in edges] == [1, 1, 1, 2, 4, 4]
    assert [superstep_partitions(count, 1) for count in edges] == [1, 1, 1, 1, 1, 1]


def test_a_pregel_run_s_partitions_hold_for_its_length_only(spark):
    def settings() -> tuple[str, str]:
        return spark.conf.get("spark.sql.shuffle.partitions"), spark.conf.get("spark.sql.adaptive.enabled")

    before = settings()
    with session_settings(spark, {"spark.sql.shuffle.partitions": "8", "spark.sql.adaptive.enabled": "true"}):
        with superstep_settings(spark, 328_132):  # the Higgs retweet graph's edges: one partition, no re-planning
            assert settings() == ("1", "false")
        with superstep_settings(spark, 5_000_000):
            assert settings() == ("3", "true")
        assert settings() == ("8", "true")
    assert settings() == before


def test_a_big_night_raises_the_session_s_shuffle_partitions_for_its_length_only(spark, tmp_path):
    config = load_config(lake=str(tmp_path / "lake"), environ={})
    before = (spark.conf.get("spark.sql.shuffle.partitions"), spark.conf.get("spark.sql.adaptive.enabled"))
    assert before == ("1", "false")
    with shuffles_sized(spark, config, 1_000 * 1024 * 1024) as partitions:  # 1,000 MiB: 8 partitions of 128
        assert partitions == 8 == int(spark.conf.get("spark.sql.shuffle.partitions"))
        assert spark.conf.get("spark.sql.adaptive.enabled") == "true"
    assert (spark.conf.get("spark.sql.shuffle.partitions"), spark.conf.get("spark.sql.adaptive.enabled")) == before
    with shuffles_sized(spark, config, 1_000) as partitions:  # a small night keeps the session's own settings
        assert (str(partitions), spark.conf.get("spark.sql.adaptive.enabled")) == before

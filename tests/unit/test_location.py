"""Where a lake lives (influence/location.py): local paths and URIs, its ops folder, the store's settings and jars."""

from __future__ import annotations

import pytest

from influence.config import load_config
from influence.errors import UsageError
from influence.jars import HADOOP_AWS
from influence.location import LakeLocation
from influence.session import scheme_artifacts, storage_settings
from influence.tables import PROFILES


def test_a_local_lake_is_its_own_ops_folder_whichever_way_it_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for text in ("lake", str(tmp_path / "lake"), (tmp_path / "lake").as_uri(), "./lake/"):
        location = LakeLocation.parse(text)
        assert (location.uri, location.ops, location.is_local) == (str(tmp_path / "lake"), tmp_path / "lake", True), text
    assert PROFILES.path(tmp_path / "lake") == str(tmp_path / "lake" / "gold" / "profiles")
    assert LakeLocation.parse("lake", str(tmp_path / "ops")).ops == tmp_path / "lake"  # [storage] ops_dir is for stores
    assert LakeLocation.parse("file:///srv/a%20lake").uri == "/srv/a lake"


def test_an_object_store_lake_keeps_its_uri_and_a_local_ops_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("INFLUENCE_CACHE_DIR", str(tmp_path / "cache"))
    location = LakeLocation.parse("s3a://bucket//team/lake/")
    assert location.uri == "s3a://bucket/team/lake" and not location.is_local and location.scheme == "s3a"
    assert location.ops == tmp_path / "cache" / "lakes" / "s3a" / "bucket" / "team" / "lake"
    assert PROFILES.path(location) == "s3a://bucket/team/lake/gold/profiles"
    assert LakeLocation.parse("S3A://bucket").uri == "s3a://bucket"
    # each store's lake has a folder of its own under [storage] ops_dir
    assert LakeLocation.parse("s3a://bucket/lake", str(tmp_path / "ops")).ops == tmp_path / "ops" / "s3a" / "bucket" / "lake"
    assert LakeLocation.parse("s3a://other", str(tmp_path / "ops")).ops == tmp_path / "ops" / "s3a" / "other"
    with pytest.raises(UsageError, match="not on a local file system"):
        location.local_root  # noqa: B018


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must not be empty"),
        ("hdfs://namenode/lake", "the scheme hdfs:// is not supported"),
        ("gs://bucket/lake", "the scheme gs:// is not supported"),
        ("s3a:///lake", r"names its bucket \(s3a://BUCKET/PREFIX\)"),
        ("s3a://bucket/lake?versionId=1", "no query or fragment"),
        ("file://lake", "a file:// URI names a local folder"),
        ("s3a://bucket/../../etc", r"no '\.' or '\.\.' segment"),
        ("s3a://bucket/lake/./x", r"no '\.' or '\.\.' segment"),
    ],
)
def test_a_lake_that_cannot_be_named_is_refused_with_the_reason(text, message):
    with pytest.raises(UsageError, match=message):
        LakeLocation.parse(text)


def test_the_config_refuses_a_bad_lake_or_endpoint_before_anything_runs():
    with pytest.raises(UsageError) as refused:
        load_config(lake="ftp://host/lake", overrides=["storage.s3a_endpoint=127.0.0.1:9000"])
    assert "the scheme ftp:// is not supported" in str(refused.value)
    assert "storage.s3a_endpoint must be http(s)://HOST[:PORT], got '127.0.0.1:9000'" in str(refused.value)


def test_an_s3a_lake_gets_the_s3a_jar_and_its_store_settings_and_a_local_lake_neither(spark, tmp_path):
    local = load_config(lake=str(tmp_path / "lake"), overrides=["storage.s3a_endpoint=http://127.0.0.1:9000"])
    assert storage_settings(local) == {} and scheme_artifacts(local) == ()
    assert scheme_artifacts(local, also_schemes=("s3a",)) == (HADOOP_AWS,)
    remote = load_config(
        lake="s3a://bucket/lake",
        overrides=[
            "storage.s3a_endpoint=http://127.0.0.1:9000/",
            "storage.s3a_region=eu-west-1",
            "storage.s3a_path_style_access=true",
        ],
    )
    assert scheme_artifacts(remote) == (HADOOP_AWS,)
    assert storage_settings(remote) == {
        "spark.hadoop.fs.s3a.endpoint": "http://127.0.0.1:9000",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
        "spark.hadoop.fs.s3a.endpoint.region": "eu-west-1",
        "spark.hadoop.fs.s3a.path.style.access": "true",
    }
    assert storage_settings(load_config(lake="s3a://bucket/lake")) == {"spark.hadoop.fs.s3a.path.style.access": "false"}
    # the S3A jar is of the Hadoop release the running JVM has
    running = spark.sparkContext._jvm.org.apache.hadoop.util.VersionInfo.getVersion()
    assert HADOOP_AWS.coordinate(HADOOP_AWS.versions[0]) == f"org.apache.hadoop:hadoop-aws:{running}"

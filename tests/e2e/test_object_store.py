"""An object-store lake (docs/operations.md#object-store-lakes): a night, an erasure, retention and an export
against an S3-compatible server started on 127.0.0.1 (moto), through Hadoop's S3A file system. The night
publishes what the same night published in a local lake; the bucket's objects are then scanned byte by byte."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from influence import storage
from influence.config import load_config
from influence.location import LakeLocation
from influence.storage import Lake
from influence.tables import COMMUNITIES, INFLUENCE_SCORES, INTERACTIONS, PROFILES, RAW_LINES, RUNS
from stages.retention import expire
from tests.support.cli import run
from tests.support.compare import differences, rows
from tests.support.scan import exported_lines, files_naming
from tests.support.twitter import ERASED, ERASED_ID, JUNE_6, land_world

BUCKET = "influence-test"
PERSON = f"twitter:{ERASED_ID}"
PRESS_EMAIL = "jane.doe@example.org"  # in the press desk's raw bio: bronze only, until retention


@pytest.fixture(scope="module")
def s3_endpoint(spark):
    """An S3 server on a free port of 127.0.0.1, with one bucket. S3A takes the session's access keys (a
    session's JVM does not see environment variables set after it started; a job's does)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", **client_options(endpoint)).create_bucket(Bucket=BUCKET)
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    hadoop.set("fs.s3a.access.key", "testing")
    hadoop.set("fs.s3a.secret.key", "testing")
    yield endpoint
    server.stop()


def client_options(endpoint: str) -> dict:
    return {
        "endpoint_url": endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }


def object_keys(endpoint: str, prefix: str) -> list[str]:
    client = boto3.client("s3", **client_options(endpoint))
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def mirrored(endpoint: str, prefix: str, folder: Path) -> Path:
    """Every object under the lake's prefix, downloaded into `folder` (a fresh one): what the store holds."""
    shutil.rmtree(folder, ignore_errors=True)
    client = boto3.client("s3", **client_options(endpoint))
    for key in object_keys(endpoint, prefix):
        target = folder / key.removeprefix(prefix)
        target.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(BUCKET, key, str(target))
    return folder


def config_file(folder: Path, endpoint: str, key_file: Path) -> Path:
    """The lake's [storage] settings and the key of the local lake compared with (keyed values then match)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(
        f'[storage]\nops_dir = "{folder / "ops-root"}"\ns3a_endpoint = "{endpoint}"\ns3a_region = "us-east-1"\n'
        f's3a_path_style_access = true\n\n[privacy]\nkey_file = "{key_file}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def s3_lake(spark, s3_endpoint, privacy_world, tmp_path_factory):
    """The privacy world's first night, published into s3a://BUCKET/world with the local world's key."""
    base = tmp_path_factory.mktemp("object-store")
    shutil.copytree(privacy_world.landing, base / "landing")
    key_file = base / "key"
    shutil.copy(privacy_world.lake / "governance" / "_key", key_file)
    key_file.chmod(0o600)
    config = config_file(base, s3_endpoint, key_file)
    uri = f"s3a://{BUCKET}/world"
    code, printed = run("nightly", "--date", JUNE_6, "--input", str(base / "landing"), "--lake", uri, "--config", str(config))
    assert code == 0, printed
    return base, uri, config


def test_a_night_on_an_object_store_publishes_what_a_local_lake_published(spark, s3_endpoint, s3_lake, privacy_world):
    base, uri, _ = s3_lake
    location = LakeLocation.parse(uri, str(base / "ops-root"))
    for table in (PROFILES, COMMUNITIES, INFLUENCE_SCORES):
        in_the_store, local = rows(spark, table, location), rows(spark, table, privacy_world.lake)
        assert len(in_the_store) == len(local) > 0
        assert differences(in_the_store, local) == [], table.name
    [night] = storage.read(spark, RUNS, location).collect()
    assert (night.run_date.isoformat(), night.status) == (JUNE_6, "published")

    # the tables are objects of the bucket; the operational files are in the local ops folder, and no table is
    keys = object_keys(s3_endpoint, "world/")
    assert {key.split("/")[1] for key in keys} == {"bronze", "silver", "gold", "staging", "ops"}
    assert "world/gold/profiles/_delta_log/00000000000000000000.json" in keys
    ops = location.ops
    assert ops == base / "ops-root" / "s3a" / BUCKET / "world"
    assert (ops / "ops" / "reports" / f"{JUNE_6}.html").is_file()
    assert (ops / "governance" / "_key_fingerprint").is_file()
    assert not list(ops.rglob("_delta_log"))


def test_erasure_retention_and_export_work_on_an_object_store(spark, s3_endpoint, s3_lake, tmp_path):
    base, uri, config_path = s3_lake
    location = LakeLocation.parse(uri, str(base / "ops-root"))
    needles = ERASED
    assert files_naming(mirrored(s3_endpoint, "world/", tmp_path / "before"), needles), "the scan must see the person"
    assert files_naming(location.ops, needles), "the night's report names the person (a community's leader)"

    code, printed = run("erase", "--account", PERSON, "--reference", "case 9", "--lake", uri, "--config", str(config_path))
    assert code == 0, printed
    assert "profiles_deleted': 1" in printed
    assert files_naming(mirrored(s3_endpoint, "world/", tmp_path / "erased"), needles) == []
    assert files_naming(location.ops, needles) == []  # reports, validation results and Data Docs
    assert PERSON not in {row.person_id for row in storage.read(spark, PROFILES, location).collect()}

    # Retention eight days on: the night's raw lines leave the bucket (the press desk's e-mail address was
    # only there), and its interactions leave silver.
    assert files_naming(mirrored(s3_endpoint, "world/bronze/", tmp_path / "bronze"), (PRESS_EMAIL,))
    raw_lines = storage.read(spark, RAW_LINES, location).count()
    interactions = storage.read(spark, INTERACTIONS, location).count()
    assert raw_lines > 0 and interactions > 0
    short = load_config(
        str(config_path),
        overrides=[
            "privacy.retention_days=2",
            "silver.retention_days=2",
            "model.window_days=2",
            "validation.future_tolerance_hours=0",
        ],
        lake=uri,
    )
    result = expire(Lake(spark, short.lake_location), short, dt.date.fromisoformat(JUNE_6) + dt.timedelta(days=8))
    assert result.extra["raw_lines_expired"] == raw_lines
    assert result.extra["interactions_expired"] == interactions
    assert storage.read(spark, RAW_LINES, location).count() == storage.read(spark, INTERACTIONS, location).count() == 0
    assert files_naming(mirrored(s3_endpoint, "world/bronze/", tmp_path / "bronze"), (PRESS_EMAIL,)) == []

    # the enrichment feed of the published night, read from the store: every profile, nobody erased
    export = tmp_path / "export"
    code, printed = run(
        "export", "--date", JUNE_6, "--format", "jsonl", "--out", str(export), "--lake", uri, "--config", str(config_path)
    )
    assert code == 0, printed
    published = {row.person_id: row.profile_key for row in storage.read(spark, PROFILES, location).collect()}
    lines = exported_lines(export)
    assert {line["person_id"]: line["profile_key"] for line in lines} == published
    assert json.loads((export / "manifest.json").read_text())["rows"] == len(published)
    assert not [line for line in lines if ERASED_ID in json.dumps(line)]


def test_an_object_store_lake_needs_its_privacy_key_named(s3_endpoint, tmp_path, capsys):
    """No key is ever made for a bucket, which may hold data keyed with another one: exit 2, nothing written."""
    config = config_file(tmp_path, s3_endpoint, tmp_path / "no-such-key")
    lake = f"s3a://{BUCKET}/keyless"
    landing = land_world(tmp_path / "landing", JUNE_6, "5001")
    code, _ = run("nightly", "--date", JUNE_6, "--input", str(landing), "--lake", lake, "--config", str(config))
    assert code == 2
    assert f"lake {lake} is in an object store, and its key is never created for it" in capsys.readouterr().err
    assert object_keys(s3_endpoint, "keyless/") == []
    assert not (tmp_path / "no-such-key").exists()

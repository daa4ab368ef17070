"""Privacy (docs/privacy.md) end to end on copies of the privacy world: opt-out and opt-in, minors, and an
erasure that leaves no byte behind."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from py4j.protocol import Py4JJavaError
from pyspark.sql import functions as F

from influence import storage
from influence.governance import KEY_ENVIRONMENT
from influence.tables import ACCOUNTS, CONSENT, GOVERNANCE_REQUESTS, PROFILES
from tests.support.cli import nightly, run
from tests.support.lakes import copy_world
from tests.support.twitter import ERASED, ERASED_HANDLE, ERASED_ID, FANS, JUNE_6, JUNE_7, land_world

PERSON = f"twitter:{ERASED_ID}"


def published(spark, lake: Path) -> dict[str, object]:
    return {row.person_id: row for row in storage.read(spark, PROFILES, lake).collect()}


def named_in_explanations(rows) -> set[str]:
    return {engager.person_id for row in rows for engager in row.explanation.top_engagers}


def files_naming(lake: Path, needles: tuple[str, ...]) -> list[str]:
    """Every file under the lake whose raw bytes, or (Parquet) decoded values, contain a needle (any case)."""
    wanted = [needle.lower().encode() for needle in needles]
    hits = []
    for path in sorted(p for p in lake.rglob("*") if p.is_file()):
        raw = path.read_bytes().lower()
        found = any(needle in raw for needle in wanted)
        if not found and path.suffix == ".parquet":
            decoded = json.dumps(pq.read_table(path).to_pylist(), default=str).lower().encode()
            found = any(needle in decoded for needle in wanted)
        if found:
            hits.append(str(path.relative_to(lake)))
    return hits


def exported_lines(export: Path) -> list[dict]:
    return [
        json.loads(line)
        for part in sorted((export / "data").glob("*.jsonl.gz"))
        for line in gzip.decompress(part.read_bytes()).decode().splitlines()
    ]


def test_the_first_night_scrubs_bios_and_publishes_the_person_and_the_fans(spark, privacy_world):
    lake = privacy_world.lake
    # A bio with an e-mail address and a phone number: silver keeps it scrubbed, nothing past bronze has it raw.
    [bio] = [row.bio for row in storage.read(spark, ACCOUNTS, lake).filter(F.col("account_id") == "9900").collect()]
    assert bio == "Press: [email], tel [phone]. Opinions mine"
    leaks = [path for path in files_naming(lake, ("jane.doe@example.org", "612 345 678")) if not path.startswith("bronze/")]
    assert leaks == []
    first = published(spark, lake)
    fan1 = f"twitter:{FANS[0][0]}"
    assert fan1 in first and fan1 in named_in_explanations(first.values())
    assert PERSON in first and PERSON in named_in_explanations(first.values())


def test_erasure_leaves_no_byte_of_the_person_and_a_new_dump_does_not_bring_them_back(spark, privacy_world, tmp_path):
    landing, lake = copy_world(privacy_world, tmp_path)
    assert files_naming(lake, ERASED), "the night must have stored the person, or the scan proves nothing"
    version_before = storage.current_version(spark, PROFILES, lake)
    assert published(spark, lake)[PERSON].profile_key is not None
    report = lake / "ops" / "reports" / f"{JUNE_6}.html"
    assert f"twitter:{ERASED_ID}" in report.read_text(), "the night's report must name the person (a community's leader)"

    code, printed = run("erase", "--account", PERSON, "--reference", "case 1", "--lake", str(lake))
    assert code == 0
    assert ERASED_ID not in printed and ERASED_HANDLE not in printed.lower()
    assert "profiles_deleted': 1" in printed

    assert files_naming(lake, ERASED) == []
    # the report was built again from the purged lake, not redacted by pattern: its charts are whole
    rebuilt = report.read_text()
    assert "[erased]" not in rebuilt and 'id="chart-scores"><figcaption>' in rebuilt and "<svg" in rebuilt
    assert PERSON not in published(spark, lake)
    # The history holding the person was vacuumed: the old version's log is there, its data files are not, so
    # time travel to it fails reading them (a SparkException through py4j, not an AnalysisException).
    with pytest.raises(Py4JJavaError) as raised:
        storage.read(spark, PROFILES, lake, version=version_before).collect()
    assert raised.value.java_exception.getClass().getName() == "org.apache.spark.SparkException"
    assert "[FAILED_READ_FILE.FILE_NOT_EXIST]" in str(raised.value) and "/gold/profiles/" in str(raised.value)
    audit = storage.read(spark, GOVERNANCE_REQUESTS, lake).collect()
    assert [(row.action, row.subject_kind, row.reference) for row in audit] == [("erase", "account", "case 1")]
    assert len(audit[0].subject_key) == 64

    # A later dump holding them again (their tweet, fans retweeting it, a mention) is suppressed at ingest.
    assert nightly(JUNE_7, land_world(landing, JUNE_7, "6001"), lake) == 0
    after = published(spark, lake)
    assert PERSON not in after and PERSON not in named_in_explanations(after.values())
    # fan2 only ever engaged with the erased account (its retweet and its mention name them): nothing is left;
    # nobody engages the press desk, so it has no profile; the reader mentions fans 4 and 5
    assert set(after) == {f"twitter:{fan_id}" for fan_id, _ in FANS} - {f"twitter:{FANS[1][0]}"} | {"twitter:9898"}
    assert files_naming(lake, ERASED) == []

    # The next export for a consumer at version_before is a resync: every current profile, and a delete naming
    # the erased person by profile_key alone (fan2, gone too, is dropped by the replacement).
    key = bytes.fromhex((lake / "governance" / "_key").read_text().strip())
    expected_key = hmac.new(key, f"profile:{PERSON}".encode(), hashlib.sha256).hexdigest()
    export = tmp_path / "export"
    code, printed = run(
        "export",
        "--date",
        JUNE_7,
        "--since-version",
        str(version_before),
        "--format",
        "jsonl",
        "--out",
        str(export),
        "--lake",
        str(lake),
    )
    assert code == 0 and ERASED_ID not in printed
    manifest = json.loads((export / "manifest.json").read_text())
    lines = exported_lines(export)
    assert manifest["kind"] == "resync" and manifest["rows_by_change_type"] == {"upsert": len(after), "delete": 1}
    deletes = [line for line in lines if line["change_type"] == "delete"]
    assert deletes == [{"profile_key": expected_key, "change_type": "delete"}]
    assert {line["person_id"]: line["profile_key"] for line in lines if line["change_type"] == "upsert"} == {
        person_id: row.profile_key for person_id, row in after.items()
    }
    assert not [
        path
        for path in export.rglob("*")
        if path.is_file()
        and any(
            needle.encode() in (gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()).lower()
            for needle in ERASED
        )
    ]


def lake_files(lake: Path) -> dict[str, tuple[int, int]]:
    """Every file of the lake but the lease's, with its size and modification time."""
    files = (p for p in lake.rglob("*") if p.is_file() and "_lease" not in p.relative_to(lake).parts)
    return {str(p.relative_to(lake)): (p.stat().st_size, p.stat().st_mtime_ns) for p in files}


def refuses_other_keys(lake: Path, commands: list[list[str]], monkeypatch, caplog) -> None:
    """Each command, run with another key and then with no key, exits 2 and changes no file of the lake."""
    before = lake_files(lake)
    key_file = lake / "governance" / "_key"
    for argv in commands:
        caplog.clear()
        monkeypatch.setenv(KEY_ENVIRONMENT, "ab" * 32)
        assert run(*argv, "--lake", str(lake))[0] == 2, argv
        assert "is not the key lake" in caplog.text and "Nothing was written" in caplog.text
        monkeypatch.delenv(KEY_ENVIRONMENT)
        kept = key_file.rename(key_file.with_name("kept-aside"))
        caplog.clear()
        assert run(*argv, "--lake", str(lake))[0] == 2, argv
        assert "no privacy key" in caplog.text
        kept.rename(key_file)
        assert lake_files(lake) == before, argv


def test_opt_out_removes_a_person_everywhere_until_opt_in_and_minors_stay_out(
    spark, privacy_world, tmp_path, monkeypatch, caplog
):
    landing, lake = copy_world(privacy_world, tmp_path)
    fan1, fan3 = f"twitter:{FANS[0][0]}", f"twitter:{FANS[2][0]}"
    assert fan1 in published(spark, lake)
    version_one = storage.current_version(spark, PROFILES, lake)

    assert run("optout", "--account", fan1, "--lake", str(lake))[0] == 0
    minor = {"account": fan3, "action": "minor", "requested_at": "2022-06-06T12:00:00Z", "reference": "r-2"}
    june_7 = land_world(landing, JUNE_7, "6001", governance=[minor])
    refuses_other_keys(
        lake, [["nightly", "--date", JUNE_7, "--input", str(june_7)], ["erase", "--account", fan3]], monkeypatch, caplog
    )
    assert nightly(JUNE_7, june_7, lake) == 0
    second = published(spark, lake)
    assert fan1 not in second and fan3 not in second
    assert not {fan1, fan3} & named_in_explanations(second.values())
    export = tmp_path / "export"
    assert (
        run(
            "export",
            "--date",
            JUNE_7,
            "--since-version",
            str(version_one),
            "--format",
            "jsonl",
            "--out",
            str(export),
            "--lake",
            str(lake),
        )[0]
        == 0
    )
    changes = exported_lines(export)
    assert {row["person_id"] for row in changes if row["change_type"] == "delete"} >= {fan1, fan3}

    assert run("optin", "--account", fan1, "--lake", str(lake))[0] == 0
    assert run("optin", "--account", fan3, "--lake", str(lake))[0] == 0
    assert nightly(JUNE_7, land_world(landing, JUNE_7, "6001"), lake) == 0
    third = published(spark, lake)
    assert fan1 in third and fan1 in named_in_explanations(third.values())
    assert fan3 not in third  # an opt-in does not lift a minor flag
    states = sorted(row.state for row in storage.read(spark, CONSENT, lake).select("state").distinct().collect())
    assert states == ["minor"]

"""Privacy (docs/privacy.md) end to end on copies of the privacy world: opt-out and opt-in, minors, and an
erasure that leaves no byte behind."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from py4j.protocol import Py4JJavaError
from pyspark.sql import functions as F

from influence import storage
from influence.governance import KEY_ENVIRONMENT
from influence.tables import ACCOUNTS, CONSENT, GOVERNANCE_REQUESTS, INFLUENCE_SCORES, PROFILES, RAW_LINES
from tests.support.cli import nightly, run
from tests.support.lakes import copy_world
from tests.support.scan import export_names_any, exported_lines, files_naming
from tests.support.twitter import ERASED, ERASED_HANDLE, ERASED_ID, FANS, JUNE_6, JUNE_7, JUNE_8, land_world, status

PERSON = f"twitter:{ERASED_ID}"


def published(spark, lake: Path) -> dict[str, object]:
    return {row.person_id: row for row in storage.read(spark, PROFILES, lake).collect()}


def named_in_explanations(rows) -> set[str]:
    return {engager.person_id for row in rows for engager in row.explanation.top_engagers}


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


LINKED_PERSON = "p-zorbulon"  # the person the erased account is linked to on the second night
NAMED_FILE = f"twitter_v1/{ERASED_HANDLE}-archive.jsonl"  # a landed file named after them


def land_link_and_named_file(landing: Path) -> None:
    """Links the erased account to LINKED_PERSON, and lands a file named after them holding their own tweet
    and a fan's tweet that does not name them (which stays, in a file whose name must go)."""
    (landing / "identity_links").mkdir(exist_ok=True)
    (landing / "identity_links" / "links.csv").write_text(f"person_id,network,account_id\n{LINKED_PERSON},twitter,{ERASED_ID}\n")
    (landing / NAMED_FILE).write_text(
        status("6101", ERASED, "archive day", day=JUNE_7) + "\n" + status("6102", FANS[2], "unrelated", day=JUNE_7) + "\n"
    )


def test_erasure_leaves_no_byte_of_the_person_and_a_new_dump_does_not_bring_them_back(spark, privacy_world, tmp_path, caplog):
    """The erased account has score history under its own person id (June 6), is linked to a person on June 7,
    is known by an @handle row (a mention without an id), and has a landed file named after it."""
    landing, lake = copy_world(privacy_world, tmp_path)
    needles = (*ERASED, LINKED_PERSON)
    report = lake / "ops" / "reports" / f"{JUNE_6}.html"
    assert f"twitter:{ERASED_ID}" in report.read_text(), "the night's report must name the person (a community's leader)"
    land_link_and_named_file(land_world(landing, JUNE_7, "6001"))
    assert nightly(JUNE_7, landing, lake) == 0
    assert LINKED_PERSON in published(spark, lake)
    history = {row.person_id for row in storage.read(spark, INFLUENCE_SCORES, lake).collect()}
    assert {PERSON, LINKED_PERSON} <= history, "pre-link history and the linked person's, or the scan proves nothing"
    # An account known by its handle only (a mention seen before any line gave its id) has the id @<handle>.
    # The world's mentions resolve within their night, so the row is written as an older night would have left it.
    older_night = dt.date(2022, 6, 5)
    handle_row = {name: None for name in ACCOUNTS.columns} | {
        "network": "twitter",
        "account_id": f"@{ERASED_HANDLE}",
        "first_run_date": older_night,
        "last_run_date": older_night,
    }
    storage.append(spark.createDataFrame([handle_row], ACCOUNTS.schema), ACCOUNTS, lake)
    assert storage.read(spark, RAW_LINES, lake).filter(F.col("file") == NAMED_FILE).count() == 2
    version_before = storage.current_version(spark, PROFILES, lake)

    caplog.clear()
    code, printed = run("erase", "--account", PERSON, "--reference", "case 1", "--lake", str(lake))
    assert code == 0
    assert "profiles_deleted': 1" in printed and "silver_identity_links_deleted': 1" in printed
    assert not [needle for needle in needles if needle.lower() in (printed + caplog.text).lower()]

    assert files_naming(lake, needles) == []
    # the fan's line of the named file stays, under the file's name redacted
    [kept] = storage.read(spark, RAW_LINES, lake).filter(F.col("line").contains('"6102"')).collect()
    assert kept.file == "twitter_v1/[erased]-archive.jsonl"
    # the report was built again from the purged lake, not redacted by pattern: its charts are whole
    rebuilt = report.read_text()
    assert "[erased]" not in rebuilt and 'id="chart-scores"><figcaption>' in rebuilt and "<svg" in rebuilt
    assert not {PERSON, LINKED_PERSON} & set(published(spark, lake))
    # The history holding the person was vacuumed: the old version's log is there, its data files are not, so
    # time travel to it fails reading them (a SparkException through py4j, not an AnalysisException).
    with pytest.raises(Py4JJavaError) as raised:
        storage.read(spark, PROFILES, lake, version=version_before).collect()
    assert raised.value.java_exception.getClass().getName() == "org.apache.spark.SparkException"
    assert "[FAILED_READ_FILE.FILE_NOT_EXIST]" in str(raised.value) and "/gold/profiles/" in str(raised.value)
    audit = storage.read(spark, GOVERNANCE_REQUESTS, lake).collect()
    assert [(row.action, row.subject_kind, row.reference, row.outcome) for row in audit] == [
        ("erase", "account", "case 1", "applied")
    ]
    assert len(audit[0].subject_key) == 64

    # A later dump holding them again (their tweet, fans retweeting it, a mention, the link) is suppressed at
    # ingest. The operator removed the landed file named after them (docs/privacy.md#outside-the-lake).
    (landing / NAMED_FILE).unlink()
    caplog.clear()
    code, printed = run("nightly", "--date", JUNE_8, "--input", str(land_world(landing, JUNE_8, "7001")), "--lake", str(lake))
    assert code == 0
    assert not [needle for needle in needles if needle.lower() in (printed + caplog.text).lower()]
    after = published(spark, lake)
    assert not {PERSON, LINKED_PERSON} & set(after) and not {PERSON, LINKED_PERSON} & named_in_explanations(after.values())
    # fan2 only ever engaged with the erased account (its retweet and its mention name them): nothing is left;
    # nobody engages the press desk, so it has no profile; the reader mentions fans 4 and 5
    assert set(after) == {f"twitter:{fan_id}" for fan_id, _ in FANS} - {f"twitter:{FANS[1][0]}"} | {"twitter:9898"}
    assert files_naming(lake, needles) == []

    # The next export for a consumer at version_before is a resync: every current profile, and a delete naming
    # the erased person by profile_key alone (fan2, gone too, is dropped by the replacement).
    key = bytes.fromhex((lake / "governance" / "_key").read_text().strip())
    expected_key = hmac.new(key, f"profile:{LINKED_PERSON}".encode(), hashlib.sha256).hexdigest()
    export = tmp_path / "export"
    code, printed = run(
        "export", "--date", JUNE_8, "--since-version", str(version_before), "--format", "jsonl", "--out", str(export),
        "--lake", str(lake),
    )  # fmt: skip
    assert code == 0 and ERASED_ID not in printed
    manifest = json.loads((export / "manifest.json").read_text())
    lines = exported_lines(export)
    assert manifest["kind"] == "resync" and manifest["rows_by_change_type"] == {"upsert": len(after), "delete": 1}
    deletes = [line for line in lines if line["change_type"] == "delete"]
    assert deletes == [{"profile_key": expected_key, "change_type": "delete"}]
    assert {line["person_id"]: line["profile_key"] for line in lines if line["change_type"] == "upsert"} == {
        person_id: row.profile_key for person_id, row in after.items()
    }
    assert not export_names_any(export, needles)


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
    history_before = {row.person_id for row in storage.read(spark, INFLUENCE_SCORES, lake).collect()}
    assert {fan1, fan3} <= history_before
    assert nightly(JUNE_7, june_7, lake) == 0
    second = published(spark, lake)
    assert fan1 not in second and fan3 not in second
    assert not {fan1, fan3} & named_in_explanations(second.values())
    # their score history is not readable in the published history either
    history = {row.person_id for row in storage.read(spark, INFLUENCE_SCORES, lake).collect()}
    assert not {fan1, fan3} & history and history_before - {fan1, fan3} <= history
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
    assert states == ["minor", "opted_in"]  # the opt-in lifted the opt-out and is kept (it suppresses nothing)

"""Privacy (docs/privacy.md): keyed hashes, opt-out and opt-in, minors, erasure that leaves no byte behind."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from influence import storage
from influence.tables import ACCOUNTS, CONSENT, GOVERNANCE_REQUESTS, PROFILES
from jobs.cli import main
from tests.test_ingest import status
from tests.test_nightly import nightly
from transforms.privacy import keyed_hash, python_pattern, redacted, token_pattern

# The erased account: an id and a handle that appear nowhere else, so a byte scan for them is exact.
ERASED_ID, ERASED_HANDLE = "7301942265", "zorbulon_quix"
ERASED = (ERASED_ID, ERASED_HANDLE)
FANS = [(f"88{i}", f"fan{i}") for i in range(1, 6)]
DAY_ONE, DAY_TWO = "2022-06-06", "2022-06-07"


def world(day: str, erased_tweet_id: str) -> list[str]:
    """The erased account tweets; five fans retweet it; it retweets fan1; fan2 mentions it in text."""
    original = json.loads(status(erased_tweet_id, ERASED, "hello from the lab"))
    lines = [json.dumps(original)]
    lines += [status(f"{erased_tweet_id}{n}", fan, f"RT @{ERASED_HANDLE}: hello", retweet_of=original) for n, fan in enumerate(FANS)]
    fan_tweet = json.loads(status(f"{erased_tweet_id}7", FANS[0], "thanks all"))
    lines.append(json.dumps(fan_tweet))
    lines.append(status(f"{erased_tweet_id}8", ERASED, "RT @fan1: thanks all", retweet_of=fan_tweet))
    lines.append(status(f"{erased_tweet_id}9", FANS[1], f"what a talk by @{ERASED_HANDLE} today"))
    for n, fan in enumerate(FANS[2:]):  # fans engage one another, so the graph outlives the erased account
        lines.append(status(f"{erased_tweet_id}6{n}", fan, "RT @fan1: thanks all", retweet_of=fan_tweet))
    return [line.replace("Mon Jun 06", "Tue Jun 07") if day == DAY_TWO else line for line in lines]


def land(landing: Path, day: str, erased_tweet_id: str, governance: list[dict] | None = None) -> Path:
    (landing / "twitter_v1").mkdir(parents=True, exist_ok=True)
    (landing / "twitter_v1" / f"tweets-{day}.jsonl").write_text("\n".join(world(day, erased_tweet_id)) + "\n")
    if governance is not None:
        (landing / "governance").mkdir(exist_ok=True)
        (landing / "governance" / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in governance))
    return landing


def run(*argv: str) -> tuple[int, str]:
    printed = io.StringIO()
    with redirect_stdout(printed):
        code = main(list(argv))
    return code, printed.getvalue()


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
    return [json.loads(line) for part in sorted((export / "data").glob("*.jsonl.gz"))
            for line in gzip.decompress(part.read_bytes()).decode().splitlines()]


def test_keyed_hash_in_spark_is_hmac_sha256(spark):
    key = bytes(range(40))
    subjects = ["account:twitter:12", "handle:twitter:alice", "person:é-ü", ""]
    got = [row.h for row in spark.createDataFrame([(s,) for s in subjects], "s string").select(
        keyed_hash(F.col("s"), key).alias("h")).collect()]
    assert got == [hmac.new(key, s.encode(), hashlib.sha256).hexdigest() for s in subjects]


def test_identifiers_are_redacted_as_whole_tokens_in_nested_values(spark):
    pattern = token_pattern(["12", "alice"])
    assert python_pattern(pattern).sub("[erased]", "12 123 @Alice alice_b x12") == "[erased] 123 @[erased] alice_b x12"
    row = spark.createDataFrame(
        [("12 and 123", ["Alice", "bob"], {"12": 1.0}, ("alice", 0.5))],
        "s string, a array<string>, m map<string,double>, t struct<p:string,share:double>",
    )
    [out] = row.select(*[redacted(F.col(f.name), f.dataType, pattern).alias(f.name) for f in row.schema.fields]).collect()
    assert (out.s, out.a, out.m, out.t.p, out.t.share) == ("[erased] and 123", ["[erased]", "bob"], {"[erased]": 1.0}, "[erased]", 0.5)


def test_erasure_leaves_no_byte_of_the_person_and_a_new_dump_does_not_bring_them_back(spark, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    assert nightly(DAY_ONE, land(landing, DAY_ONE, "5001"), lake) == 0
    person = f"twitter:{ERASED_ID}"
    assert person in published(spark, lake)
    assert person in named_in_explanations(published(spark, lake).values())
    assert files_naming(lake, ERASED), "the night must have stored the person, or the scan proves nothing"
    version_before = storage.current_version(spark, PROFILES, lake)
    assert published(spark, lake)[person].profile_key is not None

    code, printed = run("erase", "--account", f"twitter:{ERASED_ID}", "--reference", "case 1", "--lake", str(lake))
    assert code == 0
    assert ERASED_ID not in printed and ERASED_HANDLE not in printed.lower()
    assert "profiles_deleted': 1" in printed

    assert files_naming(lake, ERASED) == []
    assert person not in published(spark, lake)
    with pytest.raises(Exception):  # the history holding the person was vacuumed: time travel cannot return it
        rows = storage.read(spark, PROFILES, lake, version=version_before).collect()
        assert person in {row.person_id for row in rows}
        pytest.fail("time travel still returns the erased person")
    audit = storage.read(spark, GOVERNANCE_REQUESTS, lake).collect()
    assert [(row.action, row.subject_kind, row.reference) for row in audit] == [("erase", "account", "case 1")]
    assert len(audit[0].subject_key) == 64

    # A later dump holding them again (their tweet, fans retweeting it, a mention) is suppressed at ingest.
    assert nightly(DAY_TWO, land(landing, DAY_TWO, "6001"), lake) == 0
    after = published(spark, lake)
    assert person not in after and person not in named_in_explanations(after.values())
    # fan2 only ever engaged with the erased account (its retweet and its mention name them): nothing is left
    assert set(after) == {f"twitter:{fan_id}" for fan_id, _ in FANS} - {f"twitter:{FANS[1][0]}"}
    assert files_naming(lake, ERASED) == []

    # The next export for a consumer at version_before is a resync: every current profile, and a delete naming
    # the erased person by profile_key alone (fan2, gone too, is dropped by the replacement).
    key = bytes.fromhex((lake / "governance" / "_key").read_text().strip())
    expected_key = hmac.new(key, f"profile:{person}".encode(), hashlib.sha256).hexdigest()
    export = tmp_path / "export"
    code, printed = run("export", "--date", DAY_TWO, "--since-version", str(version_before), "--format", "jsonl",
                        "--out", str(export), "--lake", str(lake))
    assert code == 0 and ERASED_ID not in printed
    manifest = json.loads((export / "manifest.json").read_text())
    lines = exported_lines(export)
    assert manifest["kind"] == "resync" and manifest["rows_by_change_type"] == {"upsert": len(after), "delete": 1}
    deletes = [line for line in lines if line["change_type"] == "delete"]
    assert deletes == [{"profile_key": expected_key, "change_type": "delete"}]
    assert {line["person_id"]: line["profile_key"] for line in lines if line["change_type"] == "upsert"} == {
        person_id: row.profile_key for person_id, row in after.items()
    }
    assert not [path for path in export.rglob("*") if path.is_file() and any(
        needle.encode() in (gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()).lower()
        for needle in ERASED
    )]


def test_opt_out_removes_a_person_everywhere_until_opt_in_and_minors_stay_out(spark, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    fan1, fan3 = f"twitter:{FANS[0][0]}", f"twitter:{FANS[2][0]}"
    land(landing, DAY_ONE, "5001")
    # A bio with an e-mail address and a phone number: silver keeps it scrubbed, nothing past bronze has it raw.
    press = json.loads(status("5999", ("9900", "press_desk"), "our new issue is out"))
    press["user"]["description"] = "Press: jane.doe@example.org, tel +34 612 345 678. Opinions mine"
    (landing / "twitter_v1" / f"press-{DAY_ONE}.jsonl").write_text(json.dumps(press) + "\n")
    assert nightly(DAY_ONE, landing, lake) == 0
    [bio] = [row.bio for row in storage.read(spark, ACCOUNTS, lake).filter(F.col("account_id") == "9900").collect()]
    assert bio == "Press: [email], tel [phone]. Opinions mine"
    leaks = [path for path in files_naming(lake, ("jane.doe@example.org", "612 345 678")) if not path.startswith("bronze/")]
    assert leaks == []
    first = published(spark, lake)
    assert fan1 in first and fan1 in named_in_explanations(first.values())
    version_one = storage.current_version(spark, PROFILES, lake)

    assert run("optout", "--account", f"twitter:{FANS[0][0]}", "--lake", str(lake))[0] == 0
    minor = {"account": f"twitter:{FANS[2][0]}", "action": "minor", "requested_at": "2022-06-06T12:00:00Z", "reference": "r-2"}
    assert nightly(DAY_TWO, land(landing, DAY_TWO, "6001", governance=[minor]), lake) == 0
    second = published(spark, lake)
    assert fan1 not in second and fan3 not in second
    assert not {fan1, fan3} & named_in_explanations(second.values())
    export = tmp_path / "export"
    assert run("export", "--date", DAY_TWO, "--since-version", str(version_one), "--format", "jsonl", "--out", str(export),
               "--lake", str(lake))[0] == 0
    changes = exported_lines(export)
    assert {row["person_id"] for row in changes if row["change_type"] == "delete"} >= {fan1, fan3}

    assert run("optin", "--account", f"twitter:{FANS[0][0]}", "--lake", str(lake))[0] == 0
    assert run("optin", "--account", f"twitter:{FANS[2][0]}", "--lake", str(lake))[0] == 0
    assert nightly(DAY_TWO, land(landing, DAY_TWO, "6001"), lake) == 0
    third = published(spark, lake)
    assert fan1 in third and fan1 in named_in_explanations(third.values())
    assert fan3 not in third  # an opt-in does not lift a minor flag
    states = sorted(row.state for row in storage.read(spark, CONSENT, lake).select("state").distinct().collect())
    assert states == ["minor"]

"""influence access (docs/privacy.md#access-requests): a person's data as one JSON file, from the access lake.

The access lake (tests/support/lakes.py) is one night of a hand-made Twitter dump and an opt-out; every
expected value below is read off the dump by hand (docs/connectors/twitter_v1.md), except the model's numbers,
which are read from gold directly. Each access request logs a run, so every test works on its own copy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from influence import governance, storage
from influence.config import load_config
from influence.tables import INFLUENCE_SCORES, PROFILES, RUNS
from tests.support.cli import run
from tests.support.lakes import copy_lake
from tests.support.twitter import ERASED_HANDLE, ERASED_ID, FANS, JUNE_6

PERSON = f"twitter:{ERASED_ID}"  # the access lake's person, opted out after the night
SECTIONS = [
    "format_version",
    "generated_at",
    "status",
    "message",
    "subject",
    "accounts",
    "consent",
    "window",
    "posts",
    "interactions",
    "score_history",
    "profile",
    "topics",
    "explanation",
    "explained_by",
    "quarantine",
]


@pytest.fixture
def lake(access_lake, tmp_path) -> Path:
    """A private copy of the access lake: an access request writes its run to the lake's run log."""
    return copy_lake(access_lake, tmp_path / "lake")


def access(lake: Path, out: Path, *subject: str) -> tuple[int, str, dict | None]:
    code, printed = run("access", *subject, "--out", str(out), "--lake", str(lake))
    return code, printed, json.loads(out.read_text(encoding="utf-8")) if out.exists() else None


def at_ten(day: str) -> str:
    return f"{day}T10:00:00.000Z"


def test_access_file_holds_every_section_with_the_persons_data(spark, lake, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    code, printed, document = access(lake, out / "access.json", "--account", PERSON)
    assert code == 0
    assert list(document) == SECTIONS
    assert ERASED_ID not in printed and ERASED_HANDLE not in printed.lower()
    assert "posts=2" in printed and "interactions_received=7" in printed

    assert document["format_version"] == 1 and document["status"] == "found"
    assert document["subject"] == {"kind": "account", "value": PERSON, "person_id": PERSON}
    assert document["accounts"] == [
        {
            "network": "twitter",
            "account_id": ERASED_ID,
            "handle": ERASED_HANDLE,
            "display_name": "Zorbulon_Quix",
            "bio": None,
            "lang": None,
            "followers_count": 10,
            "profile_observed_at": at_ten(JUNE_6),
            "first_seen_at": at_ten("2022-01-03"),
            "last_seen_at": at_ten(JUNE_6),
            "first_run_date": JUNE_6,
            "last_run_date": JUNE_6,
            "linked": False,
        }
    ]

    consent = document["consent"]
    assert consent["states"] == ["opted_out"]
    [request] = consent["requests"]
    assert {k: request[k] for k in ("subject_kind", "action", "reference", "origin", "outcome")} == {
        "subject_kind": "account",
        "action": "opt_out",
        "reference": "case 7",
        "origin": "cli",
        "outcome": "applied",
    }
    assert request["requested_at"].endswith("Z") and request["recorded_at"] >= request["requested_at"]

    # 90 days ending on the published date: 2022-03-09 .. 2022-06-06; January is outside.
    assert document["window"] == {"start_date": "2022-03-09", "end_date": JUNE_6, "days": 90, "end_from": "gold/profiles"}
    assert document["posts"] == {
        "count": 2,
        "items": [{"network": "twitter", "post_id": post_id, "created_at": at_ten(JUNE_6)} for post_id in ("5001", "50018")],
    }

    given, received = document["interactions"]["given"], document["interactions"]["received"]
    assert (given["count"], given["by_kind"]) == (1, {"reshare": 1})
    assert [(i["kind"], i["post_id"], i["target_post_id"]) for i in given["items"]] == [("reshare", "50018", "50017")]
    assert (received["count"], received["by_kind"]) == (7, {"mention": 1, "reply": 1, "reshare": 5})
    assert sorted((i["kind"], i["post_id"], i["target_post_id"]) for i in received["items"]) == [
        ("mention", "5002", None),
        ("reply", "5002", "5001"),
        *[("reshare", f"5001{n}", "5001") for n in range(5)],
    ]
    assert all(i["occurred_at"] == at_ten(JUNE_6) and len(i["interaction_id"]) == 64 for i in given["items"] + received["items"])

    [stored] = storage.read(spark, INFLUENCE_SCORES, lake).filter(F.col("person_id") == PERSON).collect()
    [row] = document["score_history"]
    assert row["run_date"] == JUNE_6 and row["model_version"] == "3"
    assert {k: row[k] for k in ("score", "raw_score", "percentile", "pagerank")} == {
        "score": stored.score,
        "raw_score": stored.raw_score,
        "percentile": stored.percentile,
        "pagerank": stored.pagerank,
    }

    [published] = storage.read(spark, PROFILES, lake).filter(F.col("person_id") == PERSON).collect()
    profile = document["profile"]
    assert (profile["person_id"], profile["as_of_date"], profile["score"]) == (PERSON, JUNE_6, published.score)
    assert "explanation" not in profile and "topics" not in profile
    assert document["explained_by"] == {"table": "gold/profiles", "date": JUNE_6}
    assert [(t["topic_id"], t["name"], t["posts"]) for t in document["topics"]] == [("politics", "Politics", 1)]
    assert [t["authority"] for t in document["topics"]] == [topic.authority for topic in published.topics]
    explanation = document["explanation"]
    assert explanation["by_kind"] == published.explanation.by_kind
    assert explanation["by_network"] == published.explanation.by_network
    assert "reshare" in explanation["by_kind"] and "twitter" in explanation["by_network"]
    assert {e["person_id"] for e in explanation["top_engagers"]} == {e.person_id for e in published.explanation.top_engagers}
    assert document["quarantine"] == {"lines": 1}

    run_id = printed.split()[1].rstrip(":")
    [logged] = storage.read(spark, RUNS, lake).filter(F.col("run_id") == run_id).collect()
    assert logged.command == "access"
    assert logged.status == "done" and logged.exit_code == 0
    assert ERASED_ID not in logged.message and ERASED_HANDLE not in logged.message.lower()
    assert dict(logged.stages[0].counts)["interactions_given"] == 1
    assert [p.name for p in out.iterdir()] == ["access.json"], "the temporary file is left behind"


def test_a_subject_unknown_to_the_lake_gets_a_file_with_empty_sections(lake, tmp_path):
    code, printed, document = access(lake, tmp_path / "nobody.json", "--account", "twitter:424242")
    assert code == 0 and "424242" not in printed and "nothing" in printed
    assert list(document) == SECTIONS and document["status"] == "unknown"
    assert document["subject"] == {"kind": "account", "value": "twitter:424242", "person_id": "twitter:424242"}
    assert document["accounts"] == [] and document["consent"] == {"states": [], "requests": []}
    assert document["posts"] == {"count": 0, "items": []}
    empty = {"count": 0, "by_kind": {}, "items": []}
    assert document["interactions"] == {direction: empty for direction in ("given", "received")}
    assert document["score_history"] == [] and document["profile"] is None
    assert document["topics"] == [] and document["explanation"] is None and document["explained_by"] is None
    assert document["quarantine"] == {"lines": 0}
    assert document["window"]["end_date"] == JUNE_6


def test_an_erased_person_gets_the_consent_and_audit_records_only(spark, lake, tmp_path):
    """An erase of fan5 recorded without its purge (test_privacy checks the purge): fan5's rows are still in
    this lake, and the access file holds none of them."""
    fan5 = f"twitter:{FANS[4][0]}"
    config = load_config(lake=str(lake))
    subject = governance.parse_account(fan5)
    request = governance.cli_request(subject, "erase", "case 8")
    governance.record(spark, config, request, governance.resolve(spark, config, subject), "applied")
    assert storage.read(spark, INFLUENCE_SCORES, lake).filter(F.col("person_id") == fan5).count() == 1

    code, printed, document = access(lake, tmp_path / "erased.json", "--person", fan5)
    assert code == 0 and FANS[4][0] not in printed and "erased" in printed
    assert list(document) == SECTIONS and document["status"] == "erased"
    assert document["subject"] == {"kind": "person", "value": fan5, "person_id": fan5}
    assert document["consent"]["states"] == ["erased"]
    assert [(r["request_id"], r["action"], r["reference"]) for r in document["consent"]["requests"]] == [
        (request.request_id, "erase", "case 8")
    ]
    assert all(
        document[name] is None
        for name in (
            "accounts",
            "window",
            "posts",
            "interactions",
            "score_history",
            "profile",
            "topics",
            "explanation",
            "quarantine",
        )
    )


@pytest.mark.parametrize(
    "arguments, says",
    [
        (["--account", "myspace:12"], "NETWORK:ID"),
        (["--account", "twitter:"], "NETWORK:ID"),
        (["--person", "p-1", "--out", "{tmp}"], "is a folder"),
        (["--person", "p-1", "--out", "{tmp}/missing/a.json"], "does not exist"),
        (["--person", "p-1", "--lake", "{tmp}/no-lake"], "does not exist"),
    ],
)
def test_bad_arguments_exit_2_before_anything_is_written(tmp_path, caplog, arguments, says):
    out = tmp_path / "a.json"
    argv = ["access", *[a.replace("{tmp}", str(tmp_path)) for a in arguments]]
    argv += [] if "--out" in arguments else ["--out", str(out)]
    argv += [] if "--lake" in arguments else ["--lake", str(tmp_path)]
    code, _ = run(*argv)
    assert code == 2 and says in caplog.text
    assert not out.exists() and not (tmp_path / "missing").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing is written, not even a run log"

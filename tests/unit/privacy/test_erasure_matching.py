"""transforms/erasure.py: what names a person, as wide as the person and no wider. Every expected match and
redaction below is written out by hand."""

from __future__ import annotations

import json

import pytest
from pyspark.sql import functions as F

from transforms.erasure import PersonNames, python_pattern, redacted_json_text, token_pattern

# snap:100 is its own person; twitter:7301 was linked to p-zq, with the handle zorbulon_quix
SNAP_100 = PersonNames.of("snap:100", [("snap", "100")], [])
LINKED = PersonNames.of("p-zq", [("twitter", "7301"), ("reddit", "t2_zq")], [("twitter", "@Zorbulon_Quix")])


def matches(pattern: str, text: str) -> bool:
    return python_pattern(pattern).search(text) is not None


def test_names_hold_pre_link_person_ids_and_handle_accounts():
    assert LINKED.person_ids == ("p-zq", "reddit:t2_zq", "twitter:7301", "twitter:@zorbulon_quix")
    assert ("twitter", "@zorbulon_quix") in LINKED.accounts and LINKED.handles == (("twitter", "Zorbulon_Quix"),)
    assert LINKED.networks == ("reddit", "twitter")


def test_whole_tokens_leave_longer_identifiers_alone():
    pattern = token_pattern(["12", "alice"])
    assert python_pattern(pattern).sub("[erased]", "12 123 @Alice alice_b x12") == "[erased] 123 @[erased] alice_b x12"
    with pytest.raises(ValueError):
        token_pattern([])


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ('{"id_str": "9", "user": {"id_str": "100", "screen_name": "x"}}', True),
        ('{"id": 9, "user_id": 100, "text": "hi"}', True),
        ('{"in_reply_to_user_id":100}', True),
        ('{"id": 9, "retweet_count": 100, "text": "top 100"}', False),  # a count and a word, not the account
        ('{"id": 9, "paid": 100}', False),
        ('{"user_id": 1000}', False),
        ('{"user_id": 100.5}', False),
    ],
)
def test_a_numeric_id_names_a_json_line_only_as_a_whole_value(line, named):
    assert matches(SNAP_100.json_in_scope, line) is named


@pytest.mark.parametrize(
    ("line", "named"),
    [("100 7 1341100972 RT", True), ("7\t100", True), ("7,100,1", True), ("7 1001 1341100972", False), ("7 x100 100x", False)],
)
def test_a_numeric_id_names_a_delimited_line_only_as_a_whole_field(line, named):
    assert matches(SNAP_100.fields_in_scope, line) is named


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("p-9,snap,100", True),
        ('{"person_id": "p-9", "network": "snap", "account_id": "100"}', True),
        ("p-9,twitter,100", False),  # another network's account 100 is somebody else
        ('{"person_id": "p-9", "network": "twitter", "account_id": "100"}', False),
        ("snap:100,reddit,t2_x", True),  # the person id itself
    ],
)
def test_an_identity_link_line_names_the_person_by_network_and_account_together(line, named):
    assert matches(SNAP_100.link_line, line) is named


def test_values_in_scope_are_whole_numeric_ids_or_tokens_and_anywhere_only_person_ids():
    redact = python_pattern(LINKED.value_in_scope)
    assert redact.sub("[erased]", "7301") == "[erased]"
    assert redact.sub("[erased]", "7301 retweets") == "7301 retweets"  # a numeric id inside a text is not named
    assert redact.sub("[erased]", "RT @zorbulon_quix: by p-zq") == "RT @[erased]: by [erased]"
    assert python_pattern(LINKED.anywhere).sub("[erased]", "zorbulon_quix twitter:7301") == "zorbulon_quix [erased]"


def test_free_text_and_commit_parameters():
    assert python_pattern(SNAP_100.free_text).sub("[erased]", "ticket for 100, not 1000") == "ticket for [erased], not 1000"
    parameters = python_pattern(LINKED.log_parameters)
    predicate = "run_date = '2022-06-06' AND file = 'twitter_v1/zorbulon_quix-archive.jsonl' AND id = '7301'"
    assert parameters.sub("[erased]", predicate) == (
        "run_date = '2022-06-06' AND file = 'twitter_v1/[erased]-archive.jsonl' AND id = '[erased]'"
    )
    assert parameters.sub("[erased]", "numOutputRows 7301") == "numOutputRows 7301"


def test_json_documents_stay_json_with_only_their_strings_redacted():
    suite = json.dumps({"kwargs": {"column": "score", "max_value": 100}, "meta": {"note": "snap:100"}}, indent=2)
    redact = python_pattern(SNAP_100.value_in_scope)
    out = json.loads(redacted_json_text(suite, lambda value: redact.sub("[erased]", value)))
    assert out == {"kwargs": {"column": "score", "max_value": 100}, "meta": {"note": "[erased]"}}
    untouched = json.dumps({"max_value": 100})
    assert redacted_json_text(untouched, lambda value: redact.sub("[erased]", value)) == untouched


def test_redaction_is_scoped_by_the_row_and_by_each_struct_network(spark):
    rows = spark.createDataFrame(
        [
            ("snap", "100", [("snap", "100"), ("twitter", "100")], "follows snap:100", {"100": 1.0}),
            ("twitter", "100", [("twitter", "100")], "100 fans", {"100": 1.0}),
        ],
        "network string, account_id string, engagers array<struct<network:string,account_id:string>>, "
        "note string, shares map<string,double>",
    )
    scope = SNAP_100.in_networks(F.col("network"))
    named = rows.select(SNAP_100.names_row(rows, scope).alias("named")).collect()
    assert [row.named for row in named] == [True, False]
    out = SNAP_100.with_redacted_columns(rows, scope).collect()
    assert [tuple(e) for e in out[0].engagers] == [("snap", "[erased]"), ("twitter", "100")]
    assert (out[0].account_id, out[0].note, out[0].shares) == ("[erased]", "follows [erased]", {"[erased]": 1.0})
    # another network's row keeps its account 100 and its texts
    assert (out[1].account_id, [tuple(e) for e in out[1].engagers], out[1].note, out[1].shares) == (
        "100",
        [("twitter", "100")],
        "100 fans",
        {"100": 1.0},
    )


def test_landed_lines_are_named_within_their_network_only(spark):
    lines = spark.createDataFrame(
        [
            ("snap", "100 7 1341100972 RT", True),
            ("twitter", '{"user": {"id_str": "100"}}', False),
            ("identity_links", "p-1,snap,100", None),
            ("identity_links", "p-1,twitter,100", None),
        ],
        "source string, line string, in_scope boolean",
    )
    named = lines.select(
        SNAP_100.names_line(F.col("line"), F.coalesce("in_scope", F.lit(False)), F.col("source") == "identity_links").alias("n")
    ).collect()
    assert [row.n for row in named] == [True, False, True, False]

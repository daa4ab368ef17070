"""JSON documents split into records (influence/json_documents.py), checked against the standard library's
own reading of the same values, with chunks small enough that records and numbers straddle them."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings, strategies as st

from influence.json_documents import DOCUMENT, LINES, DocumentError, layout_of, records

TWEETS = [
    {"id_str": "1", "text": 'Bonjour [le] {monde}, "quoted" \\ back\\slash', "user": {"id_str": "7"}},
    {"id_str": "2", "text": "line\nbreak escaped, tab\t, emoji 🎉, é", "entities": {"hashtags": [{"text": "x"}]}},
    {"id_str": "3", "retweet_count": 12345678901234567890, "ratio": -1.5e-7, "empty": [], "nothing": None},
]


def split(text: str, chunk: int = 7) -> list:
    return [json.loads(record) for record in records(io.StringIO(text), chunk=chunk)]


@pytest.mark.parametrize("indent", [None, 0, 2, "\t"])
@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 20])
def test_an_array_gives_its_elements_in_order(indent, chunk):
    assert split(json.dumps(TWEETS, indent=indent, ensure_ascii=False), chunk) == TWEETS


def test_indented_objects_one_after_another_give_one_record_each():
    text = "\n".join(json.dumps(tweet, indent=2, ensure_ascii=False) for tweet in TWEETS) + "\n"
    assert split(text) == TWEETS
    assert split(json.dumps(TWEETS[0], indent=4)) == [TWEETS[0]]  # one page saved as it came


def test_arrays_one_after_another_and_values_that_are_not_objects_are_records_too():
    text = '[{"a": 1}, {"b": 2}]\n[]\n[[1, 2], "text", 3]\n{"c": 3}\n12'
    assert split(text) == [{"a": 1}, {"b": 2}, [1, 2], "text", 3, {"c": 3}, 12]


def test_a_number_cut_by_a_chunk_is_read_whole():
    assert split("[1234567, 89012345]", chunk=3) == [1234567, 89012345]
    assert split("1234567 89", chunk=2) == [1234567, 89]


def test_each_record_is_its_verbatim_text_on_one_line():
    text = '[\r\n  {"id_str": "1",\r\n   "text": "a\\nb"},\n  {"x": [1,\n 2]}\n]'
    lines = list(records(io.StringIO(text), chunk=5))
    assert lines == ['{"id_str": "1",    "text": "a\\nb"}', '{"x": [1,  2]}']


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ('[{"a": 1}, {"b": 2}', 19),  # a truncated array
        ('[{"a": 1} {"b": 2}]', 10),  # a missing comma
        ('[{"a": 1}, ]', 11),  # a trailing comma
        ('{"a": 1}\n{"b": "unterminated\n', 28),  # a string broken by a line break
        ('{"a": 1} trailing words', 9),
    ],
)
def test_what_is_not_a_sequence_of_json_values_stops_where_it_breaks(text, offset):
    seen = []
    with pytest.raises(DocumentError) as raised:
        for record in records(io.StringIO(text), chunk=4):
            seen.append(json.loads(record))
    assert raised.value.offset == offset
    assert seen and seen[0] == {"a": 1}  # the records before the break were read


@pytest.mark.parametrize(
    ("start", "layout"),
    [
        ('[{"id": 1}]', DOCUMENT),
        ('\ufeff  \n[\n  {"id": 1}\n]', DOCUMENT),
        ('{\n  "id": 1\n}', DOCUMENT),
        ('{"data": [\n', DOCUMENT),
        ('{"id": 1}\n{"id": 2}\n', LINES),
        ('{"id": 1, "text": "a very long first line with no break yet', LINES),
        ('{"id": 1, broken\n{"id": 2}\n', DOCUMENT),  # read through by landing, then read as lines
        ("person_id,network,account_id\np,twitter,1\n", LINES),
        ("", LINES),
    ],
)
def test_the_layout_is_told_from_the_files_start(start, layout):
    assert layout_of(start) == layout


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(json_values, max_size=6), indent=st.sampled_from([None, 1, 3]), chunk=st.integers(1, 40))
def test_any_array_of_json_values_splits_into_its_elements(values, indent, chunk):
    assert split(json.dumps(values, indent=indent), chunk) == values

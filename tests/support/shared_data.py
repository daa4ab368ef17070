"""Counts read straight from the real dumps in ../shared/data with gzip and json, never from the pipeline.

`post_ids` lists the posts the two Twitter samples hold by the connectors' documented field mapping
(docs/connectors/twitter_v1.md, twitter_v2.md). `politics_in_top_topics` writes docs/model.md section 6
(topics) out in plain Python for the French media sample, as networkx does for PageRank elsewhere.
"""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from influence.model import TOPICS_FILE

V1_SAMPLE = Path("twitter-v1-nl-sample") / "tweets.json.gz"
V2_SAMPLE = Path("twitter-v2-fr-media") / "pages.jsonl.gz"


def json_lines(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def line_count(path: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return sum(1 for _ in handle)


def post_ids(shared_data: Path) -> set[str]:
    """Distinct tweet ids: every status a v1 line carries (S, S.retweeted_status, S.quoted_status and
    S.retweeted_status.quoted_status) and every tweet of a v2 page's `data` and `includes.tweets`."""
    ids = set()
    for line in json_lines(shared_data / V1_SAMPLE):
        retweeted = line.get("retweeted_status") or {}
        for status in (line, retweeted, line.get("quoted_status"), retweeted.get("quoted_status")):
            if isinstance(status, dict) and "id_str" in status:
                ids.add(status["id_str"])
    for page in json_lines(shared_data / V2_SAMPLE):
        ids |= {tweet["id"] for tweet in page["data"] + page.get("includes", {}).get("tweets", [])}
    return ids


def topic_roots() -> dict[str, str]:
    """Each topic id of the packaged taxonomy -> its top-level ancestor, read from the JSON itself."""
    topics = {t["id"]: t for t in json.loads(TOPICS_FILE.read_text(encoding="utf-8"))["topics"]}

    def root(topic_id):
        while topics[topic_id]["parent"]:
            topic_id = topics[topic_id]["parent"]
        return topic_id

    return {topic_id: root(topic_id) for topic_id in topics}


# docs/model.md section 6, "Matching": lower case, accents removed, words split on anything not a letter or digit.


def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.category(c).startswith("M"))


def _words(text: str) -> list[str]:
    return "".join(c if unicodedata.category(c)[0] in "LN" else " " for c in _folded(text)).split()


def _terms(text: str) -> set[str]:
    """The words of a text and its pairs of consecutive words: a one-word term matches a word, a two-word term a pair."""
    words = _words(text)
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}


def _hashtag_key(tag: str) -> str:
    return "".join(_words(tag))


def _is_tag_character(c: str) -> bool:
    return c == "_" or unicodedata.category(c)[0] in "LMN"


def _hashtags(text: str) -> list[str]:
    """Hashtags written in a v2 tweet's text (docs/connectors/twitter_v2.md: accents kept, stop at emoji):
    '#' not preceded by a word character, '&', '/' or '#', then word characters holding at least one letter."""
    tags, i = [], 0
    while i < len(text):
        if text[i] in "#＃" and (i == 0 or not (_is_tag_character(text[i - 1]) or text[i - 1] in "&/#")):
            end = i + 1
            while end < len(text) and _is_tag_character(text[end]):
                end += 1
            tag = text[i + 1 : end]
            if any(unicodedata.category(c)[0] in "LM" for c in tag):
                tags.append(tag)
            i = end
        else:
            i += 1
    return tags


# docs/model.md: the default model's window, half-life and kind weights; a v2 tweet's public counters by kind.
WINDOW_DAYS, HALF_LIFE_DAYS = 90, 30.0
KIND_WEIGHTS = {"reshare": 1.0, "quote": 1.0, "reply": 0.75, "like": 0.25}
COUNTERS = {"reshare": "retweet_count", "reply": "reply_count", "quote": "quote_count", "like": "like_count"}
REFERENCE_KINDS = {"retweeted": "reshare", "replied_to": "reply", "quoted": "quote"}
TOP_TOPICS = 5
CLOSE = 0.05  # a politics topic within 5% of the last place kept is left undecided


@dataclass(frozen=True)
class PoliticsVerdict:
    """Handles of the v2 sample's accounts by whether a politics topic is among their top topics tonight."""

    certain: frozenset[str]
    excluded: frozenset[str]
    undecided: frozenset[str]  # rank-dependent engagement, or too close to call


def politics_in_top_topics(shared_data: Path, run_date: dt.date) -> PoliticsVerdict:
    """Which French media accounts get a politics-rooted topic among their top 5 on run_date.

    A post's engagement is its public counters, kind-weighted and decayed by the post's age, plus each
    interaction held on it times the engager's relative rank (docs/model.md section 6). The ranks are
    PageRank's, so an account with any post engaged by another account in the dump is left undecided;
    for the others the counters decide: a politics topic is kept when fewer than 5 other topics have more
    engagement. A post matches a topic when its text's words, pairs of words or hashtags name it.
    """
    taxonomy = json.loads(TOPICS_FILE.read_text(encoding="utf-8"))["topics"]
    roots = topic_roots()
    by_term, by_hashtag = collections.defaultdict(set), collections.defaultdict(set)
    for topic in taxonomy:
        for values in topic["terms"].values():
            for value in values:
                by_term[" ".join(_words(value))].add(topic["id"])
        for values in topic["hashtags"].values():
            for value in values:
                by_hashtag[_hashtag_key(value)].add(topic["id"])

    pages = json_lines(shared_data / V2_SAMPLE)
    tweets = [tweet for page in pages for tweet in page["data"]]
    handles = {user["id"]: user["username"] for page in pages for user in page["includes"]["users"]}
    authors = {tweet["id"]: tweet["author_id"] for tweet in tweets}
    night_end = dt.datetime.combine(run_date + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    def age_days(tweet: dict) -> float:
        created = dt.datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
        return max((night_end - created).total_seconds() / 86_400, 0.0)

    window = [tweet for tweet in tweets if age_days(tweet) < WINDOW_DAYS]
    held = collections.defaultdict(collections.Counter)  # post id -> kind -> interactions on it by another account
    for tweet in window:
        for reference in tweet.get("referenced_tweets", []):
            if authors.get(reference["id"], tweet["author_id"]) != tweet["author_id"]:
                held[reference["id"]][REFERENCE_KINDS[reference["type"]]] += 1

    engagement = collections.defaultdict(collections.Counter)  # author -> topic -> engagement from counters
    rank_dependent = set()
    for tweet in window:
        metrics = tweet.get("public_metrics", {})
        beyond = sum(
            max(metrics.get(COUNTERS[kind], 0) - held[tweet["id"]][kind], 0) * weight for kind, weight in KIND_WEIGHTS.items()
        )
        if beyond == 0 and not held[tweet["id"]]:
            continue  # no engagement: the post names no topic of its author
        if held[tweet["id"]]:
            rank_dependent.add(tweet["author_id"])
        topics = set().union(
            *(by_term.get(term, set()) for term in _terms(tweet["text"])),
            *(by_hashtag.get(_hashtag_key(tag), set()) for tag in _hashtags(tweet["text"])),
        )
        for topic_id in topics:
            engagement[tweet["author_id"]][topic_id] += beyond * 0.5 ** (age_days(tweet) / HALF_LIFE_DAYS)

    certain, excluded, undecided = set(), set(), set()
    for author, handle in handles.items():
        topics = engagement[author]
        politics = max((e for topic_id, e in topics.items() if roots[topic_id] == "politics"), default=None)
        if politics is None:
            (undecided if author in rank_dependent else excluded).add(handle)
            continue
        others = sorted((e for topic_id, e in topics.items() if roots[topic_id] != "politics"), reverse=True)
        last_kept = others[TOP_TOPICS - 1] if len(others) >= TOP_TOPICS else 0.0
        if author in rank_dependent or abs(politics - last_kept) <= CLOSE * max(politics, last_kept):
            undecided.add(handle)
        else:
            (certain if politics > last_kept else excluded).add(handle)
    return PoliticsVerdict(frozenset(certain), frozenset(excluded), frozenset(undecided))

"""A synthetic landing folder in the real connector formats, for benchmarks and tests at any size.

`influence generate` writes OUT/<YYYY-MM-DD>/<source>/part-00000.<ext> for each day, plus
OUT/<first day>/identity_links/links.csv, and OUT/generated.json (the manifest): what was written, per
day and source, so a test can check a night against it line by line. The README's "Generating data" section
documents the distributions; in short:

- persons have a popularity and an activity drawn from Pareto laws (in- and out-degrees follow power
  laws), a community (sizes by Zipf's law), and the community's language and two topics;
- each interaction picks its actor by activity and its target by popularity, inside the actor's community
  with probability `INSIDE_COMMUNITY`, on a network both have an account on;
- some persons have a second account on another network, joined by an identity link;
- posts carry the taxonomy's words and hashtags for their author's topics, in the author's language;
- every `1 / malformed_fraction`-th line is malformed, cycling through the source's quarantine reasons;
- on the last day a farm of fresh accounts reshares one target once each, and a ring of fresh accounts
  reshares each other.

Everything comes from one seeded generator, in a fixed order, so a seed gives the same bytes. Lines are
written as they are made: memory is a few arrays per person, whatever the number of interactions.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from influence.model import TOPICS_FILE

SOURCES = ("snap", "twitter_v1", "reddit", "bluesky")
INSIDE_COMMUNITY = 0.8  # the chance an interaction stays inside the actor's community
SECOND_ACCOUNT = 0.2  # the chance a person also has an account on a second network (when there are two)
SECOND_ACCOUNT_USE = 0.3  # the chance such a person acts from the second account
POPULARITY_ALPHA = 1.1  # Pareto index of popularity: in-degree CCDF ~ k^-1.1 (density ~ k^-2.1)
ACTIVITY_ALPHA = 1.5  # Pareto index of activity: out-degree CCDF ~ k^-1.5
LANGUAGE_WEIGHTS = {"en": 0.5, "fr": 0.2, "es": 0.2, "nl": 0.1}
CHUNK = 65_536  # interactions sampled at once (numpy), then formatted one by one
# The share of each kind of interaction, per source (SNAP: Higgs' mix of retweets, mentions and replies).
KINDS = {
    "snap": {"RT": 0.6, "MT": 0.25, "RE": 0.15},
    "twitter_v1": {"reshare": 0.5, "reply": 0.2, "mention": 0.2, "quote": 0.1},
    "reddit": {"reply": 0.75, "mention": 0.15, "reshare": 0.1},
    "bluesky": {"like": 0.35, "reshare": 0.25, "reply": 0.15, "mention": 0.1, "follow": 0.1, "quote": 0.05},
}
# The quarantine reasons each source's malformed lines cycle through (docs/connectors.md).
MALFORMED_REASONS = {
    "snap": ("wrong_field_count", "bad_timestamp", "unknown_kind", "bad_weight"),
    "twitter_v1": ("invalid_json", "missing_field", "bad_timestamp", "unknown_event_type", "bad_value"),
    "reddit": ("invalid_json", "missing_field", "bad_timestamp", "unknown_event_type", "bad_value"),
    "bluesky": ("invalid_json", "missing_field", "bad_timestamp", "unknown_event_type", "bad_value"),
}
EXTENSIONS = {"snap": "txt", "twitter_v1": "jsonl", "reddit": "jsonl", "bluesky": "jsonl"}
# The network each source's accounts live on (influence/tables.py NETWORKS): the identity links name it.
NETWORK_OF = {"snap": "snap", "twitter_v1": "twitter", "reddit": "reddit", "bluesky": "bluesky"}


@dataclass(frozen=True)
class GeneratorSpec:
    persons: int
    interactions: int
    sources: tuple[str, ...] = SOURCES
    days: int = 1
    seed: int = 0
    start: dt.date = dt.date(2024, 3, 1)
    malformed_fraction: float = 0.002
    farm_size: int | None = None  # default: min(1,000, persons // 10)
    ring_size: int | None = None  # default: min(50, persons // 100), at least 3

    def problems(self) -> list[str]:
        found = []
        if self.persons < 10:
            found.append(f"--persons must be at least 10, got {self.persons}")
        if self.interactions < 1:
            found.append(f"--interactions must be at least 1, got {self.interactions}")
        if self.days < 1:
            found.append(f"--days must be at least 1, got {self.days}")
        unknown = [source for source in self.sources if source not in SOURCES]
        if unknown or not self.sources or len(set(self.sources)) != len(self.sources):
            found.append(f"--networks must be distinct names among {', '.join(SOURCES)}, got {','.join(self.sources)}")
        if not 0 <= self.malformed_fraction <= 0.04:
            found.append(
                f"--malformed-fraction must be in [0, 0.04] (a night holds back above 5%), got {self.malformed_fraction}"
            )
        for name in ("farm_size", "ring_size"):
            value = getattr(self, name)
            if value is not None and value < 0:
                found.append(f"--{name.replace('_', '-')} must not be negative, got {value}")
        if self.ring_size is not None and 0 < self.ring_size < 3:
            found.append(f"--ring-size must be 0 or at least 3, got {self.ring_size}")
        return found

    @property
    def farm(self) -> int:
        return min(1000, self.persons // 10) if self.farm_size is None else self.farm_size

    @property
    def ring(self) -> int:
        return max(3, min(50, self.persons // 100)) if self.ring_size is None else self.ring_size


@dataclass
class FileTally:
    """What one written file holds: every line is exactly one of these."""

    lines: int = 0
    interactions: int = 0  # lines carrying one interaction each
    posts: int = 0  # lines carrying a post and no interaction (the originals that replies and likes point at)
    duplicates: int = 0  # SNAP lines repeating an earlier line's event (skipped as `duplicate` by the night)
    malformed: dict[str, int] = field(default_factory=dict)


@dataclass
class World:
    """Who exists: arrays indexed by person, then the fresh accounts of the farm and the ring after them."""

    community: np.ndarray
    language: list[str]  # per community
    topics: list[tuple[dict, dict]]  # per community: the main and the second topic (taxonomy entries)
    popularity: np.ndarray
    activity: np.ndarray
    primary: np.ndarray  # source index
    secondary: np.ndarray  # source index, or -1


def _pareto(rng: np.random.Generator, alpha: float, size: int) -> np.ndarray:
    return (1.0 - rng.random(size)) ** (-1.0 / alpha)


def build_world(spec: GeneratorSpec, rng: np.random.Generator, taxonomy: dict) -> World:
    n, sources = spec.persons, len(spec.sources)
    communities = max(2, round(n**0.5 / 3))
    sizes = 1.0 / np.arange(1, communities + 1)
    community = np.searchsorted(np.cumsum(sizes / sizes.sum()), rng.random(n), side="right").clip(0, communities - 1)
    languages = [lang for lang in taxonomy["languages"] if lang in LANGUAGE_WEIGHTS] or list(taxonomy["languages"])
    weights = np.array([LANGUAGE_WEIGHTS.get(lang, 1.0) for lang in languages])
    picked = np.searchsorted(np.cumsum(weights / weights.sum()), rng.random(communities), side="right")
    language = [languages[min(i, len(languages) - 1)] for i in picked]
    topics = taxonomy["topics"]
    mains, seconds = rng.integers(0, len(topics), communities), rng.integers(0, len(topics), communities)
    community_topics = [(topics[a], topics[b]) for a, b in zip(mains, seconds)]
    primary = rng.integers(0, sources, n)
    secondary = np.full(n, -1)
    if sources > 1:
        has_second = rng.random(n) < SECOND_ACCOUNT
        other = (primary + rng.integers(1, sources, n)) % sources
        secondary = np.where(has_second, other, -1)
    return World(
        community=community,
        language=language,
        topics=community_topics,
        popularity=_pareto(rng, POPULARITY_ALPHA, n),
        activity=_pareto(rng, ACTIVITY_ALPHA, n),
        primary=primary,
        secondary=secondary,
    )


class TargetSampler:
    """Targets by popularity among the persons with an account on a source: inside one community, or all."""

    def __init__(self, world: World, sources: int):
        persons = np.arange(len(world.primary))
        on = [(persons, world.primary)] + [(persons[world.secondary >= 0], world.secondary[world.secondary >= 0])]
        members = np.concatenate([p for p, _ in on])
        source = np.concatenate([s for _, s in on])
        community = world.community[members]
        order = np.lexsort((members, community, source))
        self.person, self.source, self.community = members[order], source[order], community[order]
        self.cumulative = np.cumsum(world.popularity[self.person])
        communities = int(world.community.max()) + 1
        keys = self.source * communities + self.community
        self.segment_start = np.searchsorted(keys, np.arange(sources * communities), side="left")
        self.segment_end = np.searchsorted(keys, np.arange(sources * communities), side="right")
        self.source_start = np.searchsorted(self.source, np.arange(sources), side="left")
        self.source_end = np.searchsorted(self.source, np.arange(sources), side="right")
        self.communities = communities

    def _weight_before(self, index: np.ndarray) -> np.ndarray:
        return np.where(index > 0, self.cumulative[np.maximum(index - 1, 0)], 0.0)

    def sample(self, rng: np.random.Generator, source: np.ndarray, community: np.ndarray, actor: np.ndarray) -> np.ndarray:
        inside = rng.random(len(source)) < INSIDE_COMMUNITY
        segment = source * self.communities + community
        start = np.where(inside, self.segment_start[segment], self.source_start[source])
        end = np.where(inside, self.segment_end[segment], self.source_end[source])
        low, high = self._weight_before(start), self._weight_before(end)
        position = np.searchsorted(self.cumulative, low + rng.random(len(source)) * (high - low), side="right")
        position = np.clip(position, start, end - 1)
        # nobody engages themselves here: the next member of the same range instead (the range has the actor)
        self_engaged = self.person[position] == actor
        following = np.where(position + 1 < end, position + 1, start)
        position = np.where(self_engaged & (end - start > 1), following, position)
        return self.person[position]


class Ids:
    """Account and post identifiers in each network's own form, from person and counter numbers."""

    @staticmethod
    def account(source: str, person: int) -> str:
        if source == "snap":
            return str(person + 1)
        if source == "twitter_v1":
            return str(1_000_000_000 + person)
        if source == "reddit":
            return f"user{person}"
        return f"did:plc:{person:024x}"

    @staticmethod
    def original(source: str, person: int, number: int) -> str:
        """The id of a person's `number`-th original post (0-2): what replies, likes and reshares point at."""
        if source == "twitter_v1":
            return str(2_000_000_000_000_000 + person * 4 + number)
        if source == "reddit":
            return f"t3_{_base36(person * 4 + number)}"
        return f"at://{Ids.account('bluesky', person)}/app.bsky.feed.post/orig{number}"

    @staticmethod
    def event(source: str, number: int) -> str:
        """The id of the `number`-th post or record an interaction creates (never an original's); numbers run
        on across days, so no later day repeats an earlier day's id (which a night would take as seen)."""
        if source == "twitter_v1":
            return str(3_000_000_000_000_000 + number)
        if source == "reddit":
            return _base36(1_000_000_000_000 + number)
        return f"e{number:012d}"


@functools.lru_cache(maxsize=64)
def _day_parts(day_number: int) -> tuple[str, str]:
    """A day's part of a v1 time ("Fri Mar 01", "2024") and of an ISO time ("2024-03-01")."""
    day = dt.date(1970, 1, 1) + dt.timedelta(days=day_number)
    return day.strftime("%a %b %d"), day.isoformat()


def _clock(epoch: int) -> str:
    minutes, second = divmod(epoch % 86_400, 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:{second:02d}"


def _v1_time(epoch: int) -> str:
    """As v1.1 wrote it: `Fri Mar 01 10:00:00 +0000 2024` (strftime per line was a tenth of the time)."""
    weekday_month_day, iso_day = _day_parts(epoch // 86_400)
    return f"{weekday_month_day} {_clock(epoch)} +0000 {iso_day[:4]}"


def _iso(epoch: int) -> str:
    return f"{_day_parts(epoch // 86_400)[1]}T{_clock(epoch)}.000Z"


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
        if not number:
            return digits


def _words(topic: dict, language: str) -> tuple[list[str], list[str]]:
    """A topic's terms and hashtags in a language (English, or its name, when the taxonomy has none)."""
    terms = topic["terms"].get(language) or topic["terms"].get("en") or [topic["name"]]
    hashtags = topic.get("hashtags", {})
    return terms, hashtags.get(language) or hashtags.get("en") or []


class Writer:
    """One source's file of one day: formats events in the source's format and tallies what it wrote."""

    def __init__(self, source: str, path: Path, world: World, malformed_fraction: float, numbers: Iterator[int], origin: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.origin = origin  # the first day's start (epoch seconds)
        self.vocabulary = [
            [_words(topic, language) for topic in topics] for language, topics in zip(world.language, world.topics)
        ]
        self.users: dict[int, dict] = {}  # v1 user objects, by person: the same for every status of theirs
        self.source, self.world, self.tally, self.numbers = source, world, FileTally(), numbers
        self.stream = path.open("w", encoding="utf-8", newline="\n")
        self.period = round(1 / malformed_fraction) if malformed_fraction > 0 else 0
        self.good_lines = 0
        self.originals: set[tuple[int, int]] = set()  # (person, number) written to this file
        self.second, self.seen_this_second = -1, set()

    # -- text ---------------------------------------------------------------------------------------------
    def text(self, person: int, rng_word: int) -> tuple[str, list[str]]:
        """A post in the author's language about their community's topics: two words, then a hashtag; two
        posts in three are about the main topic."""
        terms, tags = self.vocabulary[self._community(person)][1 if rng_word % 3 == 0 else 0]
        words = f"{terms[rng_word % len(terms)]} {terms[(rng_word // 7) % len(terms)]}"
        if not tags:
            return words, []
        tag = tags[rng_word % len(tags)]
        return f"{words} #{tag}", [tag]

    def language(self, person: int) -> str:
        return self.world.language[int(self.world.community[person])] if person < len(self.world.community) else "en"

    # -- lines --------------------------------------------------------------------------------------------
    def _write(self, line: str, interaction: bool, duplicate: bool = False) -> None:
        self.stream.write(line + "\n")
        self.tally.lines += 1
        if duplicate:
            self.tally.duplicates += 1
        elif interaction:
            self.tally.interactions += 1
        else:
            self.tally.posts += 1
        self.good_lines += 1
        if self.period and self.good_lines % self.period == 0:
            reasons = MALFORMED_REASONS[self.source]
            reason = reasons[(self.good_lines // self.period - 1) % len(reasons)]
            self.stream.write(malformed_line(self.source, reason) + "\n")
            self.tally.lines += 1
            self.tally.malformed[reason] = self.tally.malformed.get(reason, 0) + 1

    def _json(self, record: dict, interaction: bool) -> None:
        self._write(json.dumps(record, ensure_ascii=False, separators=(",", ":")), interaction)

    def original(self, person: int, number: int, epoch: int, word: int) -> None:
        """A target's original post, written once per file before the first interaction that points at it."""
        if self.source in ("snap", "twitter_v1") or (person, number) in self.originals:
            return  # SNAP has no posts; a v1 retweet or quote embeds the original
        self.originals.add((person, number))
        text, hashtags = self.text(person, word)
        author = Ids.account(self.source, person)
        if self.source == "reddit":
            post_id = Ids.original("reddit", person, number)
            self._json(
                {
                    "id": post_id[3:],
                    "name": post_id,
                    "author": author,
                    "subreddit": f"c{self._community(person)}",
                    "title": text,
                    "selftext": "",
                    "created_utc": epoch,
                    "score": 1 + word % 50,
                    "num_comments": 1,
                },
                interaction=False,
            )
        else:
            record = {"$type": "app.bsky.feed.post", "createdAt": _iso(epoch), "langs": [self.language(person)], "text": text}
            if hashtags:
                record["tags"] = hashtags
            self._bluesky_commit(author, epoch, "app.bsky.feed.post", f"orig{number}", record, interaction=False)

    def _community(self, person: int) -> int:
        return int(self.world.community[person]) if person < len(self.world.community) else 0

    def _bluesky_commit(self, did: str, epoch: int, collection: str, rkey: str, record: dict, interaction: bool) -> None:
        self._json(
            {
                "did": did,
                "time_us": epoch * 1_000_000 + len(rkey),
                "kind": "commit",
                "commit": {
                    "rev": rkey,
                    "operation": "create",
                    "collection": collection,
                    "rkey": rkey,
                    "record": record,
                    "cid": f"bafy{rkey}",
                },
            },
            interaction,
        )

    def _v1_user(self, person: int) -> dict:
        if person in self.users:
            return self.users[person]
        if len(self.users) > 100_000:
            self.users.clear()
        self.users[person] = {
            "id_str": Ids.account("twitter_v1", person),
            "screen_name": f"tw{person}",
            "name": f"Person {person}",
            "description": self.text(person, person)[0],
            "lang": self.language(person),
            "followers_count": int(self.world.popularity[person] * 10) if person < len(self.world.popularity) else 0,
        }
        return self.users[person]

    def _v1_status(self, person: int, post_id: str, epoch: int, word: int) -> dict:
        text, hashtags = self.text(person, word)
        return {
            "id_str": post_id,
            "created_at": _v1_time(epoch),
            "text": text,
            "lang": self.language(person),
            "user": self._v1_user(person),
            "entities": {"hashtags": [{"text": tag} for tag in hashtags], "user_mentions": []},
        }

    def interaction(self, actor: int, target: int, kind: str, epoch: int, word: int) -> None:
        """One line carrying exactly one interaction of `actor` with `target` (and no other)."""
        number = word % 3  # which of the target's originals it engages with
        # an original has one time whichever day points at it: in the day before the first
        posted = self.origin - 1 - ((target * 4 + number) * 7919) % 86_400
        source = self.source
        if source == "snap":
            if epoch != self.second:
                self.second, self.seen_this_second = epoch, set()
            event = (actor, target, kind)
            line = f"{Ids.account(source, actor)} {Ids.account(source, target)} {epoch} {kind}"
            # the same pair, kind and second again: the night skips it as a duplicate of the same event
            self._write(line, interaction=True, duplicate=event in self.seen_this_second)
            self.seen_this_second.add(event)
            return
        if not (source == "bluesky" and kind in ("mention", "follow")):
            self.original(target, number, posted, word)  # a reddit mention names a handle some post must show
        own_id = Ids.event(source, next(self.numbers))
        if source == "twitter_v1":
            status = self._v1_status(actor, own_id, epoch, word)
            original = self._v1_status(target, Ids.original(source, target, number), posted, word)
            if kind == "reshare":
                status.update(text=f"RT @tw{target}: {original['text']}", retweeted_status=original)
            elif kind == "quote":
                status.update(quoted_status_id_str=original["id_str"], quoted_status=original)
            elif kind == "reply":
                status.update(in_reply_to_status_id_str=original["id_str"], in_reply_to_user_id_str=original["user"]["id_str"])
            else:  # mention
                status["text"] = f"@tw{target} {status['text']}"
                status["entities"]["user_mentions"] = [{"id_str": Ids.account(source, target), "screen_name": f"tw{target}"}]
            self._json(status, interaction=True)
        elif source == "reddit":
            author, text = Ids.account(source, actor), self.text(actor, word)[0]
            common = {
                "id": own_id,
                "author": author,
                "subreddit": f"c{self._community(actor)}",
                "created_utc": epoch,
                "score": 1 + word % 20,
            }
            if kind == "reply":
                parent = Ids.original(source, target, number)
                self._json({**common, "name": f"t1_{own_id}", "parent_id": parent, "link_id": parent, "body": text}, True)
            elif kind == "mention":
                self._json(
                    {**common, "name": f"t3_{own_id}", "title": text, "selftext": f"cc u/{Ids.account(source, target)}"}, True
                )
            else:  # a crosspost of the target's submission
                self._json(
                    {
                        **common,
                        "name": f"t3_{own_id}",
                        "title": text,
                        "selftext": "",
                        "crosspost_parent": Ids.original(source, target, number),
                    },
                    True,
                )
        else:  # bluesky
            did, created = Ids.account(source, actor), _iso(epoch)
            subject = {"uri": Ids.original(source, target, number), "cid": f"bafyorig{number}"}
            if kind in ("like", "reshare"):
                collection = "app.bsky.feed.like" if kind == "like" else "app.bsky.feed.repost"
                self._bluesky_commit(
                    did, epoch, collection, own_id, {"$type": collection, "createdAt": created, "subject": subject}, True
                )
            elif kind == "follow":
                record = {"$type": "app.bsky.graph.follow", "createdAt": created, "subject": Ids.account(source, target)}
                self._bluesky_commit(did, epoch, "app.bsky.graph.follow", own_id, record, True)
            else:
                text, hashtags = self.text(actor, word)
                record = {"$type": "app.bsky.feed.post", "createdAt": created, "langs": [self.language(actor)], "text": text}
                if hashtags:
                    record["tags"] = hashtags
                if kind == "reply":
                    record["reply"] = {"parent": subject, "root": subject}
                elif kind == "quote":
                    record["embed"] = {"$type": "app.bsky.embed.record", "record": subject}
                else:  # mention
                    mention = "@" + f"p{target}"
                    record["text"] = f"{mention} {text}"
                    record["facets"] = [
                        {
                            "index": {"byteStart": 0, "byteEnd": len(mention)},
                            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": Ids.account(source, target)}],
                        }
                    ]
                self._bluesky_commit(did, epoch, "app.bsky.feed.post", own_id, record, True)

    def close(self) -> None:
        self.stream.close()


def malformed_line(source: str, reason: str) -> str:
    """A line with exactly one defect, which the source's connector quarantines with `reason`."""
    if source == "snap":
        return {
            "wrong_field_count": "1 2 1341100800 RT extra",
            "bad_timestamp": "1 2 yesterday RT",
            "unknown_kind": "1 2 1341100800 XX",
            "bad_weight": "1 2 heavy",
        }[reason]
    if reason == "invalid_json":
        return '{"truncated": '
    if source == "twitter_v1":
        good = {"id_str": "9", "created_at": "Fri Mar 01 10:00:00 +0000 2024", "text": "hello", "user": {"id_str": "1"}}
        broken = {
            "missing_field": {key: value for key, value in good.items() if key != "user"} | {"user": {"screen_name": "x"}},
            "bad_timestamp": good | {"created_at": "yesterday"},
            "unknown_event_type": {"kind": "poll"},
            "bad_value": good | {"id_str": "12x"},
        }[reason]
    elif source == "reddit":
        good = {
            "id": "zz1",
            "name": "t1_zz1",
            "author": "someone",
            "parent_id": "t3_zz0",
            "created_utc": 1709287200,
            "body": "hi",
        }
        broken = {
            "missing_field": {key: value for key, value in good.items() if key != "author"},
            "bad_timestamp": good | {"created_utc": "yesterday"},
            "unknown_event_type": {"id": "zz2", "name": "t5_zz2", "display_name": "science"},
            "bad_value": good | {"parent_id": "t9_zz0"},
        }[reason]
    else:
        good = {
            "did": "did:plc:bad",
            "time_us": 1709287200000000,
            "kind": "commit",
            "commit": {
                "rev": "r",
                "operation": "create",
                "collection": "app.bsky.graph.follow",
                "rkey": "bad",
                "record": {"$type": "app.bsky.graph.follow", "subject": "did:plc:other"},
            },
        }
        commit_without_rkey = {key: value for key, value in good["commit"].items() if key != "rkey"}
        broken = {
            "missing_field": good | {"commit": commit_without_rkey},
            "bad_timestamp": good | {"time_us": 1709287200},
            "unknown_event_type": good | {"kind": "mystery"},
            "bad_value": good | {"did": "alice"},
        }[reason]
    return json.dumps(broken, separators=(",", ":"))


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if day < total % parts else 0) for day in range(parts)]


def _events(spec: GeneratorSpec, world: World, sampler: TargetSampler, rng: np.random.Generator, count: int) -> Iterator[tuple]:
    """(source index, actor, target, kind index, word) for `count` genuine interactions, chunk by chunk."""
    cumulative_activity = np.cumsum(world.activity)
    kind_tables = [np.cumsum(list(KINDS[source].values())) for source in spec.sources]
    for first in range(0, count, CHUNK):
        size = min(CHUNK, count - first)
        actor = np.searchsorted(cumulative_activity, rng.random(size) * cumulative_activity[-1], side="right")
        actor = actor.clip(0, len(world.activity) - 1)
        use_second = (world.secondary[actor] >= 0) & (rng.random(size) < SECOND_ACCOUNT_USE)
        source = np.where(use_second, world.secondary[actor], world.primary[actor])
        target = sampler.sample(rng, source, world.community[actor], actor)
        draws, words = rng.random(size), rng.integers(0, 1 << 30, size)
        kind = np.zeros(size, dtype=np.int64)
        for index, table in enumerate(kind_tables):
            mine = source == index
            kind[mine] = np.searchsorted(table, draws[mine] * table[-1], side="right").clip(0, len(table) - 1)
        yield from zip(source.tolist(), actor.tolist(), target.tolist(), kind.tolist(), words.tolist())


def generate(spec: GeneratorSpec, out: Path) -> dict:
    """Writes the landing folders and the manifest under `out`; returns the manifest."""
    taxonomy = json.loads(TOPICS_FILE.read_text(encoding="utf-8"))
    rng = np.random.default_rng(spec.seed)
    world = build_world(spec, rng, taxonomy)
    sampler = TargetSampler(world, len(spec.sources))
    days = [spec.start + dt.timedelta(days=d) for d in range(spec.days)]
    manifest: dict = {"spec": {**asdict(spec), "start": spec.start.isoformat(), "sources": list(spec.sources)}, "days": {}}

    links = out / days[0].isoformat() / "identity_links" / "links.csv"
    links.parent.mkdir(parents=True, exist_ok=True)
    linked = np.flatnonzero(world.secondary >= 0)
    with links.open("w", encoding="utf-8", newline="\n") as stream:
        stream.write("person_id,network,account_id\n")
        for person in linked:
            for source in (world.primary[person], world.secondary[person]):
                name = spec.sources[source]
                stream.write(f"p-{person},{NETWORK_OF[name]},{Ids.account(name, int(person))}\n")
    manifest["identity_links"] = {"persons": len(linked), "rows": 2 * len(linked)}

    events = _events(spec, world, sampler, rng, spec.interactions)
    kind_names = [list(KINDS[source]) for source in spec.sources]
    numbers = itertools.count(1)
    origin = int(dt.datetime.combine(days[0], dt.time(), dt.UTC).timestamp())
    for day, count in zip(days, _split(spec.interactions, spec.days)):
        start = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())
        writers = [
            Writer(
                source,
                out / day.isoformat() / source / f"part-00000.{EXTENSIONS[source]}",
                world,
                spec.malformed_fraction,
                numbers,
                origin,
            )
            for source in spec.sources
        ]
        for index in range(count):
            source, actor, target, kind, word = next(events)
            # evenly spread over the day, in order: a second never goes back (SNAP duplicates are tracked per second)
            writers[source].interaction(actor, target, kind_names[source][kind], start + index * 86_400 // count, word)
        if day == days[-1]:
            manifest["farm"], manifest["ring"] = _farm_and_ring(spec, world, writers, start)
        for writer in writers:
            writer.close()
        manifest["days"][day.isoformat()] = {writer.source: asdict(writer.tally) for writer in writers}
    (out / "generated.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _farm_and_ring(spec: GeneratorSpec, world: World, writers: list[Writer], day_start: int) -> tuple[dict, dict]:
    """On the last day, at its last hour: fresh accounts (numbered after the persons) that reshare one
    target once each, and a ring of fresh accounts that reshare the next one round a cycle."""
    choice = next(s for s in ("twitter_v1", "bluesky", "snap", "reddit") if s in spec.sources)
    writer = writers[spec.sources.index(choice)]
    kind = {"snap": "RT"}.get(choice, "reshare")
    on_network = np.flatnonzero((world.primary == spec.sources.index(choice)) | (world.secondary == spec.sources.index(choice)))
    by_popularity = on_network[np.argsort(world.popularity[on_network], kind="stable")]
    target = int(by_popularity[int(len(by_popularity) * 0.9)])  # about the 90th percentile: visible, not a star
    fresh = spec.persons
    evening = day_start + 23 * 3600
    for member in range(spec.farm):
        writer.interaction(fresh + member, target, kind, evening + member % 3600, member)
    ring = [fresh + spec.farm + member for member in range(spec.ring)]
    for position, member in enumerate(ring):
        writer.interaction(member, ring[(position + 1) % len(ring)], kind, evening + position % 3600, position)
    farm = {
        "source": choice,
        "network": NETWORK_OF[choice],
        "target": Ids.account(choice, target),
        "accounts": spec.farm,
        "first_account": Ids.account(choice, fresh) if spec.farm else None,
    }
    return farm, {"source": choice, "accounts": [Ids.account(choice, member) for member in ring]}

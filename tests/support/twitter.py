"""Twitter v1.1 status lines built by hand, and the privacy world: one person to erase, five fans.

The erased account has an id and a handle that appear nowhere else, so a byte scan of a lake for them is exact.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

ERASED_ID, ERASED_HANDLE = "7301942265", "zorbulon_quix"
ERASED = (ERASED_ID, ERASED_HANDLE)
FANS = [(f"88{i}", f"fan{i}") for i in range(1, 6)]
JUNE_6, JUNE_7, JUNE_8 = "2022-06-06", "2022-06-07", "2022-06-08"  # the world's nights


def status(tweet_id: str, user: tuple[str, str], text: str, retweet_of: dict | None = None, day: str = JUNE_6) -> str:
    """A v1.1 status line of `day` 10:00 UTC (docs/connectors/twitter_v1.md); `retweet_of` is embedded."""
    user_id, handle = user
    line = {
        "id_str": tweet_id,
        "created_at": dt.date.fromisoformat(day).strftime("%a %b %d") + " 10:00:00 +0000 2022",
        "text": text,
        "lang": "en",
        "user": {"id_str": user_id, "screen_name": handle, "name": handle.title(), "followers_count": 10},
        "entities": {"hashtags": [], "user_mentions": []},
    }
    if retweet_of:
        line["retweeted_status"] = retweet_of
    return json.dumps(line)


def world(day: str, erased_tweet_id: str) -> list[str]:
    """The erased account tweets; five fans retweet it; it retweets fan1; fan2 mentions it in text; fans 3-5
    retweet fan1, so the graph outlives the erased account. Tweet ids start with `erased_tweet_id`."""
    original = json.loads(status(erased_tweet_id, ERASED, "hello from the lab"))
    lines = [json.dumps(original)]
    lines += [
        status(f"{erased_tweet_id}{n}", fan, f"RT @{ERASED_HANDLE}: hello", retweet_of=original) for n, fan in enumerate(FANS)
    ]
    fan_tweet = json.loads(status(f"{erased_tweet_id}7", FANS[0], "thanks all"))
    lines.append(json.dumps(fan_tweet))
    lines.append(status(f"{erased_tweet_id}8", ERASED, "RT @fan1: thanks all", retweet_of=fan_tweet))
    lines.append(status(f"{erased_tweet_id}9", FANS[1], f"what a talk by @{ERASED_HANDLE} today"))
    for n, fan in enumerate(FANS[2:]):
        lines.append(status(f"{erased_tweet_id}6{n}", fan, "RT @fan1: thanks all", retweet_of=fan_tweet))
    written = dt.date.fromisoformat(day).strftime("%a %b %d")
    return [line.replace("Mon Jun 06", written) for line in lines]


def land_world(landing: Path, day: str, erased_tweet_id: str, governance: list[dict] | None = None) -> Path:
    """The world of `day` as DIR/twitter_v1/tweets-<day>.jsonl, plus privacy requests as DIR/governance/requests.jsonl."""
    (landing / "twitter_v1").mkdir(parents=True, exist_ok=True)
    (landing / "twitter_v1" / f"tweets-{day}.jsonl").write_text("\n".join(world(day, erased_tweet_id)) + "\n")
    if governance is not None:
        (landing / "governance").mkdir(exist_ok=True)
        (landing / "governance" / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in governance))
    return landing


def press_desk_status() -> str:
    """A press account whose bio holds an e-mail address and a phone number (nobody engages it)."""
    press = json.loads(status("5999", ("9900", "press_desk"), "our new issue is out"))
    press["user"]["description"] = "Press: jane.doe@example.org, tel +34 612 345 678. Opinions mine"
    return json.dumps(press)


def reader_status() -> str:
    """A reader who mentions fans 4 and 5, who are never suppressed: a trust seed (two persons engaged)
    once a day old, so the world still has seeds when the erased person or fan1 is taken out."""
    reader = json.loads(status("5998", ("9898", "reader"), f"@{FANS[3][1]} @{FANS[4][1]} see you there"))
    reader["entities"]["user_mentions"] = [{"id_str": user_id, "screen_name": handle} for user_id, handle in FANS[3:]]
    return json.dumps(reader)


def access_dump() -> list[str]:
    """The world of 2022-06-06 (the person tweets 5001, about politics here; fans 1-5 retweet it as 50010-50014;
    the person retweets fan1's 50017 as 50018), plus: fan3 replies to 5001 with an @mention (5002); the
    person retweets an old tweet of fan2 in January, outside the 90-day window (4001 of 4000); a line with
    a bad time naming the person, quarantined."""
    lines = [line.replace("hello from the lab", "politics from the lab") for line in world(JUNE_6, "5001")]
    reply = json.loads(status("5002", FANS[2], f"@{ERASED_HANDLE} great talk"))
    reply.update(in_reply_to_status_id_str="5001", in_reply_to_user_id_str=ERASED_ID)
    reply["entities"]["user_mentions"] = [{"id_str": ERASED_ID, "screen_name": ERASED_HANDLE}]
    old = json.loads(status("4000", FANS[1], "old news").replace("Mon Jun 06", "Mon Jan 03"))
    old_retweet = status("4001", ERASED, "RT @fan2: old news", retweet_of=old)
    bad = json.loads(status("5003", ERASED, "bad time"))
    bad["created_at"] = "June 6th"
    return [*lines, json.dumps(reply), old_retweet.replace("Mon Jun 06", "Mon Jan 03"), json.dumps(bad)]

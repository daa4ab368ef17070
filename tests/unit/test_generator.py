"""The synthetic landing generator (influence/generator.py), checked from its files alone, without Spark:
same seed same bytes, the manifest's counts, power-law degrees, communities, topics, identity links, the
farm and the ring. tests/e2e/test_generated.py runs a night on its output."""

from __future__ import annotations

import collections
import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from influence.generator import (
    INSIDE_COMMUNITY,
    MALFORMED_REASONS,
    GeneratorSpec,
    build_world,
    generate,
    malformed_line,
)
from influence.model import TOPICS_FILE
from jobs.cli import main

TAXONOMY = json.loads(TOPICS_FILE.read_text(encoding="utf-8"))
ACTIVITY_KINDS = ("RT", "MT", "RE")
TWO_DAYS = GeneratorSpec(persons=400, interactions=6000, days=2, seed=7, malformed_fraction=0.01, farm_size=40, ring_size=5)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def snap_events(path: Path) -> list[tuple[str, str, int, str]]:
    """The well-formed activity lines of a SNAP file, read here independently of the connector."""
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2].isdigit() and fields[3] in ACTIVITY_KINDS:
            events.append((fields[0], fields[1], int(fields[2]), fields[3]))
    return events


@pytest.fixture(scope="module")
def two_days(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("generated")
    return out, generate(TWO_DAYS, out)


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    spec = GeneratorSpec(persons=50, interactions=500, days=2, seed=3)
    generate(spec, tmp_path / "a")
    generate(spec, tmp_path / "b")
    generate(GeneratorSpec(persons=50, interactions=500, days=2, seed=4), tmp_path / "c")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_one_folder_per_day_per_source_and_the_manifest_counts_every_line(two_days):
    out, manifest = two_days
    assert sorted(manifest["days"]) == ["2024-03-01", "2024-03-02"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["2024-03-01", "2024-03-02"]
    genuine = 0
    for day, sources in manifest["days"].items():
        for source, tally in sources.items():
            [path] = (out / day / source).iterdir()
            lines = path.read_text(encoding="utf-8").splitlines()
            assert len(lines) == tally["lines"]
            assert tally["lines"] == tally["interactions"] + tally["posts"] + tally["duplicates"] + sum(
                tally["malformed"].values()
            )
            # every malformed line is one of the source's own, and there are as many as the manifest says
            malformed = {malformed_line(source, reason): reason for reason in MALFORMED_REASONS[source]}
            found = collections.Counter(malformed[line] for line in lines if line in malformed)
            assert dict(found) == tally["malformed"], (day, source)
            good = tally["lines"] - sum(found.values())
            assert sum(found.values()) == good // 100  # malformed_fraction 0.01: one after every 100 good lines
            genuine += tally["interactions"] + tally["duplicates"]
    # the farm and the ring come on top of the genuine interactions
    assert genuine == 6000 + manifest["farm"]["accounts"] + len(manifest["ring"]["accounts"])


def test_degrees_follow_power_laws_and_most_interactions_stay_in_a_community(tmp_path):
    spec = GeneratorSpec(persons=2000, interactions=40_000, sources=("snap",), farm_size=0, ring_size=0, seed=11)
    generate(spec, tmp_path)
    events = snap_events(tmp_path / "2024-03-01" / "snap" / "part-00000.txt")
    assert len(events) == 40_000

    def hill_index(counts: collections.Counter) -> float:
        """The Hill estimate of a power law's tail index over the top 10% (networkx-free, by hand)."""
        ordered = np.array(sorted(counts.values(), reverse=True), dtype=float)
        top = len(ordered) // 10
        return top / np.log(ordered[:top] / ordered[top]).sum()

    in_degree = collections.Counter(target for _, target, _, _ in events)
    out_degree = collections.Counter(actor for actor, _, _, _ in events)
    assert 0.8 < hill_index(in_degree) < 1.4  # popularity's Pareto index is 1.1
    assert 1.2 < hill_index(out_degree) < 2.0  # activity's is 1.5
    top_percent = sum(sorted(in_degree.values(), reverse=True)[: len(in_degree) // 100])
    assert top_percent > 0.2 * len(events)  # a heavy head: the top 1% receive over a fifth

    # the world is the seed's first draw: rebuilt here, it says who is in which community
    world = build_world(spec, np.random.default_rng(spec.seed), TAXONOMY)
    inside = sum(world.community[int(a) - 1] == world.community[int(b) - 1] for a, b, _, _ in events) / len(events)
    assert INSIDE_COMMUNITY <= inside < INSIDE_COMMUNITY + 0.15
    assert not [event for event in events if event[0] == event[1]]  # nobody engages themselves


def test_posts_speak_their_communitys_topics_in_its_language(two_days):
    out, _ = two_days
    world = build_world(TWO_DAYS, np.random.default_rng(TWO_DAYS.seed), TAXONOMY)
    checked = 0
    for line in (out / "2024-03-01" / "twitter_v1" / "part-00000.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            status = json.loads(line)
        except ValueError:
            continue
        person = int(status.get("user", {}).get("id_str", "0")) - 1_000_000_000
        if not 0 <= person < 400 or "retweeted_status" in status:
            continue
        community = world.community[person]
        language, topics = world.language[community], world.topics[community]
        hashtags = {tag for topic in topics for tag in topic.get("hashtags", {}).get(language, [])}
        terms = {term for topic in topics for term in topic["terms"].get(language, [])}
        assert status["lang"] == language
        assert {tag["text"] for tag in status["entities"]["hashtags"]} <= hashtags
        assert any(term in status["text"] for term in terms), status["text"]
        checked += 1
    assert checked > 100


def test_linked_persons_have_two_accounts_on_two_networks(two_days):
    out, manifest = two_days
    with (out / "2024-03-01" / "identity_links" / "links.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    per_person = collections.defaultdict(set)
    for row in rows:
        per_person[row["person_id"]].add(row["network"])
    assert len(rows) == manifest["identity_links"]["rows"] == 2 * len(per_person)
    assert all(len(networks) == 2 for networks in per_person.values())
    assert 0.1 < len(per_person) / 400 < 0.3  # about SECOND_ACCOUNT (0.2) of the persons


def test_the_farm_reshares_one_target_once_each_and_the_ring_closes(two_days):
    out, manifest = two_days
    farm, ring = manifest["farm"], manifest["ring"]
    assert farm["source"] == ring["source"] == "twitter_v1"
    last_day = (out / "2024-03-02" / "twitter_v1" / "part-00000.jsonl").read_text(encoding="utf-8").splitlines()
    retweets = collections.defaultdict(list)
    for line in last_day:
        try:
            status = json.loads(line)
        except ValueError:
            continue
        if isinstance(status.get("retweeted_status"), dict):
            retweets[status["user"]["id_str"]].append(status["retweeted_status"]["user"]["id_str"])
    first = int(farm["first_account"])
    farm_accounts = [str(first + n) for n in range(farm["accounts"])]
    assert all(retweets[account] == [farm["target"]] for account in farm_accounts)
    assert [retweets[account] for account in ring["accounts"]] == [[nxt] for nxt in ring["accounts"][1:] + ring["accounts"][:1]]
    first_day = (out / "2024-03-01" / "twitter_v1" / "part-00000.jsonl").read_text(encoding="utf-8")
    assert not [account for account in farm_accounts + ring["accounts"] if f'"id_str":"{account}"' in first_day]  # fresh


def test_the_cli_refuses_bad_arguments_before_writing(tmp_path, capsys, caplog):
    out = tmp_path / "out"
    assert main(["generate", "--persons", "5", "--interactions", "0", "--networks", "snap,myspace", "--out", str(out)]) == 2
    for part in ("--persons must be at least 10", "--interactions must be at least 1", "--networks must be distinct names"):
        assert part in caplog.text
    assert not out.exists()
    (out / "old").mkdir(parents=True)
    assert main(["generate", "--persons", "20", "--interactions", "10", "--out", str(out)]) == 2
    assert "must be a new or empty folder" in caplog.text
    fresh = tmp_path / "fresh"
    assert main(["generate", "--persons", "20", "--interactions", "10", "--networks", "reddit", "--out", str(fresh)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert sorted(p.name for p in (fresh / "2024-03-01").iterdir()) == ["identity_links", "reddit"]

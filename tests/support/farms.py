"""Farms of fresh accounts and genuine engagement, as silver interaction rows (and identity links), for the
anti-gaming tests and bench/gaming.py.

Every farm has `size` accounts that appear on the run date, all engaging one target. The genuine
engagement it is compared with comes from established accounts (active on earlier days, engaging
several persons), as many engagements as `genuine_engagements` says. docs/model.md#anti-gaming.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence

FARM_SHAPES = ("ring", "star", "follow_like", "camouflage", "two_networks")
FARM_NETWORK = "snap"
SECOND_NETWORK = "mastodon"


def interaction(index: int, actor: str, target: str, kind: str, when: dt.datetime, network: str = FARM_NETWORK) -> tuple:
    """A silver interactions row (INTERACTIONS.schema), landed the night it happened."""
    return (f"g{index}", network, actor, target, kind, when, 1.0, None, None, network, "generated", index, when.date())


def link(network: str, account_id: str, person_id: str, run_date: dt.date, index: int) -> tuple:
    """A silver identity_links row (IDENTITY_LINKS.schema)."""
    return (network, account_id, person_id, "identity_links", "generated", index, run_date)


class World:
    """`interactions` (rows) and `links` (rows) of a generated network, grown by the methods below."""

    def __init__(self, run_date: dt.date, seed: int = 7) -> None:
        self.run_date = run_date
        self.noon = dt.datetime.combine(run_date, dt.time(12))
        self.rng = random.Random(seed)
        self.interactions: list[tuple] = []
        self.links: list[tuple] = []

    def add(self, actor: str, target: str, kind: str, when: dt.datetime, network: str = FARM_NETWORK) -> None:
        self.interactions.append(interaction(len(self.interactions), actor, target, kind, when, network))

    def link(self, network: str, account_id: str, person_id: str) -> None:
        self.links.append(link(network, account_id, person_id, self.run_date, len(self.links)))

    def earlier(self, days: int) -> dt.datetime:
        """A random moment of the `days` days before the run date."""
        return self.noon - dt.timedelta(days=1 + self.rng.random() * (days - 1), hours=self.rng.random() * 12)

    def copy(self) -> World:
        other = World(self.run_date)
        other.rng = random.Random(self.rng.random())
        other.interactions, other.links = list(self.interactions), list(self.links)
        return other


def genuine_world(run_date: dt.date, creators: int = 20, readers: int = 150, history_days: int = 14) -> World:
    """Creators c* engaging each other and readers r* resharing three creators each, all over the
    `history_days` before the run date; the target t, reshared on earlier days by readers r0-r4."""
    world = World(run_date)
    names = [f"c{i}" for i in range(creators)]
    for reader in range(readers):
        for creator in world.rng.sample(names, 3):
            world.add(f"r{reader}", creator, "reshare", world.earlier(history_days))
    for creator in names:
        for other in world.rng.sample([c for c in names if c != creator], 4):
            world.add(creator, other, world.rng.choice(["reshare", "mention", "reply"]), world.earlier(history_days))
    for reader in range(5):
        world.add(f"r{reader}", "t", "reshare", world.earlier(history_days))
    return world


def with_genuine_engagement(world: World, engagers: Sequence[str], target: str = "t") -> World:
    """One reshare of the target, on the run date, from each established account in `engagers`."""
    grown = world.copy()
    for minute, account in enumerate(engagers):
        grown.add(account, target, "reshare", grown.noon + dt.timedelta(minutes=minute))
    return grown


def with_farm(
    world: World, shape: str, size: int = 1000, target: str = "t", popular: Sequence[str] = ("c0", "c1", "c2", "c3")
) -> World:
    """The world plus a farm of `size` fresh accounts f* of the given shape (FARM_SHAPES), all on the run
    date, engaging `target` (a person id's account on FARM_NETWORK; with two_networks, also its account
    on SECOND_NETWORK, linked to the same person). popular: the genuine accounts camouflage engages."""
    if shape not in FARM_SHAPES:
        raise ValueError(f"unknown farm shape {shape!r}: expected one of {', '.join(FARM_SHAPES)}")
    grown = world.copy()
    second = 0

    def when() -> dt.datetime:
        nonlocal second
        second += 1
        return grown.noon + dt.timedelta(seconds=second)

    build: dict[str, Callable[[str, int], None]] = {
        # each reshares the target and the next five farm accounts: a closed ring
        "ring": lambda account, n: [
            grown.add(account, target, "reshare", when()),
            *[grown.add(account, f"f{(n + step) % size}", "reshare", when()) for step in range(1, 6)],
        ],
        # each reshares the target once, and nothing else
        "star": lambda account, n: grown.add(account, target, "reshare", when()),
        # each follows, likes and reshares the target
        "follow_like": lambda account, n: [grown.add(account, target, kind, when()) for kind in ("follow", "like", "reshare")],
        # each reshares the target and also engages popular genuine accounts, to look like an audience
        "camouflage": lambda account, n: [
            grown.add(account, target, "reshare", when()),
            *[grown.add(account, other, grown.rng.choice(["reshare", "like", "reply"]), when()) for other in popular],
        ],
        # each farm person has an account on two networks, linked, and reshares the target on both
        "two_networks": lambda account, n: [
            grown.link(FARM_NETWORK, account, f"person:{account}"),
            grown.link(SECOND_NETWORK, f"{account}@farm", f"person:{account}"),
            grown.add(account, target, "reshare", when()),
            grown.add(f"{account}@farm", f"{target}@home", "reshare", when(), SECOND_NETWORK),
        ],
    }
    if shape == "two_networks":
        grown.link(FARM_NETWORK, target, f"person:{target}")
        grown.link(SECOND_NETWORK, f"{target}@home", f"person:{target}")
    for member in range(size):
        build[shape](f"f{member}", member)
    return grown

"""What a stage did: a frozen result with its counts and seconds, recorded by the run log in one place."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class StageResult:
    """Base of every stage's result. Integer and boolean fields are its counts (the run log's `counts`);
    `extra` holds counts whose names depend on the data (per skip reason, per table)."""

    seconds: float = 0.0
    spark_jobs: int = 0
    extra: Mapping[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        named = {
            f.name: int(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in ("seconds", "spark_jobs") and type(getattr(self, f.name)) in (int, bool)
        }
        return {**named, **{key: int(value) for key, value in self.extra.items()}}


@dataclass(frozen=True, kw_only=True)
class Counts(StageResult):
    """A stage that has nothing to hand on but its counts (all in `extra`)."""

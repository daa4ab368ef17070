"""The environment of a JVM a test starts for one short job: a night killed part-way, a standalone cluster's
daemons and executors, a fresh session that runs two queries.

Such a JVM compiles with the first-tier compiler only (C1). Its optimizing compiler (C2) pays off over a long
run, as in the test processes' own drivers, but a JVM that lives for one night spends more CPU compiling than
it saves. Measured on the 2-core machine, a cold first night (tests/support/snap.py DAY_ONE, local[1]) in its
own process: 137 and 140 CPU seconds by default, 98 and 102 with C1 only, in about the same wall time. The
suite's two processes keep both cores busy, so CPU is what such a test costs."""

from __future__ import annotations

import os

FIRST_TIER_ONLY = "-XX:TieredStopAtLevel=1"


def short_lived_jvm_env(**extra: str) -> dict[str, str]:
    """os.environ for a process whose JVMs run one short job (JAVA_TOOL_OPTIONS reaches every JVM it starts)."""
    options = os.environ.get("JAVA_TOOL_OPTIONS", "")
    if FIRST_TIER_ONLY not in options.split():  # a test may have set it for the JVMs it starts itself
        options = f"{options} {FIRST_TIER_ONLY}".strip()
    return {**os.environ, "JAVA_TOOL_OPTIONS": options, **extra}

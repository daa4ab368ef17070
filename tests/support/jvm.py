"""The environment of a JVM a test starts for one short job: a night killed part-way, a standalone cluster's
daemons and executors, a fresh session that runs two queries, the notebooks' kernel.

Such a JVM compiles with the first-tier compiler only (C1). Its optimizing compiler (C2) pays off over a long
run, as in the test processes' own drivers, but a JVM that lives for one night spends more CPU compiling than
it saves. Measured on the 2-core machine, a cold first night (tests/support/snap.py DAY_ONE, local[1]) in its
own process: 137 and 140 CPU seconds by default, 98 and 102 with C1 only, in about the same wall time. The
suite's two processes keep both cores busy, so CPU is what such a test costs.

Without C2 the JVM reserves 48 MB for compiled code instead of 240 MB. Spark's and Delta's code outgrows that
within a night, and the JVM then spends CPU evicting and recompiling: over six test nights in one process, 3-13
CPU seconds a night went to the code cache's sweeper, and none with 256 MB (docs/pipeline.md)."""

from __future__ import annotations

import os

SHORT_LIVED_JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=256m")


def short_lived_jvm_options() -> str:
    """JAVA_TOOL_OPTIONS for such a JVM: the current value with the options above added where missing (a test
    may have set them already for the JVMs it starts itself)."""
    options = os.environ.get("JAVA_TOOL_OPTIONS", "").split()
    return " ".join([*options, *(option for option in SHORT_LIVED_JVM_OPTIONS if option not in options)])


def short_lived_jvm_env(**extra: str) -> dict[str, str]:
    """os.environ for a process whose JVMs run one short job (JAVA_TOOL_OPTIONS reaches every JVM it starts)."""
    return {**os.environ, "JAVA_TOOL_OPTIONS": short_lived_jvm_options(), **extra}

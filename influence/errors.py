"""Errors that end a job, each carrying the exit code the CLI documents.

0 published; 1 validation failed, nothing published; 2 bad arguments, config, input location or a
missing jar (nothing written); 3 any other failure; 4 lake busy: another writer holds the lake's lease
(nothing written; retry later).
"""


class InfluenceError(Exception):
    """Base class: a failure the CLI reports as one sentence, without a stack trace."""

    exit_code = 3


class UsageError(InfluenceError):
    """A bad argument, config file or input location: the job stops before it writes."""

    exit_code = 2


class ValidationFailed(InfluenceError):
    """A data-quality suite failed: nothing was published."""

    exit_code = 1

    def __init__(self, message: str, failures: list[str]):
        super().__init__(message)
        self.failures = failures


class LakeBusy(InfluenceError):
    """Another command holds the lake's writer lease (influence/lease.py): refused before Spark starts or anything
    is written, so a scheduler can simply retry later."""

    exit_code = 4


class EnvironmentProblem(InfluenceError):
    """The machine lacks something the job needs (Java, the Delta jar, ...)."""

    exit_code = 3


class MissingJar(EnvironmentProblem):
    """A JVM jar the session needs (Delta Lake, GraphFrames) is neither in the jars folder nor resolvable:
    the command stops before it writes, like a bad config."""

    exit_code = 2

"""Every table of the lake, named once with its explicit schema, layout and key.

Layout (stable): <lake>/bronze/<table>, <lake>/silver/<table>, <lake>/gold/<table>, <lake>/ops/runs,
<lake>/governance/<table>; candidate gold data is written to <lake>/staging/<table> and validated before
it is published.

Every table keeps identifiers out of the Delta transaction log (docs/privacy.md#erasure): no column
statistics (the log would keep min/max values of ids after the rows are erased) and no deletion vectors
(a delete rewrites the files, so a vacuum leaves no copy of an erased row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pyspark.sql import types as T

from influence.location import LakeLocation

NETWORKS = ("snap", "twitter", "reddit", "bluesky", "mastodon")
# SNAP activity: RT -> reshare, MT -> mention, RE -> reply; plain edge lists carry no kind ("edge").
INTERACTION_KINDS = ("follow", "mention", "reply", "reshare", "quote", "like", "edge")


PRIVATE_PROPERTIES = {"delta.dataSkippingNumIndexedCols": "0", "delta.enableDeletionVectors": "false"}


@dataclass(frozen=True)
class Table:
    layer: str
    name: str
    schema: T.StructType
    key: tuple[str, ...]
    partition_by: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    description: str = ""
    # The date column retention expires rows by (stages/retention.py); empty: never expired by age.
    expires_by: str = ""

    @property
    def all_properties(self) -> dict[str, str]:
        return {**PRIVATE_PROPERTIES, **self.properties}

    @property
    def qualified_name(self) -> str:
        return f"{self.layer}.{self.name}"

    def path(self, lake: LakeLocation | Path | str) -> str:
        """The table's folder under the lake: a local path or a URI, as Spark takes it."""
        return LakeLocation.of(lake).join(self.layer, self.name)

    @property
    def columns(self) -> list[str]:
        return self.schema.fieldNames()


def _schema(ddl_fields: list[tuple[str, T.DataType, bool]]) -> T.StructType:
    return T.StructType([T.StructField(name, dtype, nullable) for name, dtype, nullable in ddl_fields])


RAW_LINES = Table(
    "bronze",
    "raw_lines",
    _schema(
        [
            ("source", T.StringType(), False),
            ("file", T.StringType(), False),
            ("file_sha256", T.StringType(), False),
            ("line_number", T.LongType(), False),
            ("line", T.StringType(), True),
            ("run_id", T.StringType(), False),
            ("run_date", T.DateType(), False),
            ("ingested_at", T.TimestampType(), False),
        ]
    ),
    key=("run_date", "source", "file", "line_number"),
    partition_by=("run_date",),
    description="Every landed line, verbatim, with where it came from. Re-landing a file for a date adds nothing.",
    expires_by="run_date",
)

INTERACTIONS = Table(
    "silver",
    "interactions",
    _schema(
        [
            ("interaction_id", T.StringType(), False),
            ("network", T.StringType(), False),
            ("actor", T.StringType(), False),
            # null while pending: a reply whose parent post (and so its author) the lake has not seen yet;
            # every night resolves pending targets against the posts stored so far.
            ("target", T.StringType(), True),
            ("kind", T.StringType(), False),
            ("occurred_at", T.TimestampType(), True),
            ("weight", T.DoubleType(), False),
            ("post_id", T.StringType(), True),  # the actor's post carrying the interaction (the retweet, the reply)
            ("target_post_id", T.StringType(), True),  # the target's post engaged with
            ("source", T.StringType(), False),
            ("file", T.StringType(), False),
            ("line_number", T.LongType(), False),
            ("run_date", T.DateType(), False),
        ]
    ),
    key=("interaction_id",),
    partition_by=("run_date",),
    description=(
        "One row per distinct interaction: actor engaged with target (A retweets B: actor A, target B). "
        "An account known only by its handle has the account_id '@handle' until the lake learns its id."
    ),
    expires_by="run_date",
)

ACCOUNTS = Table(
    "silver",
    "accounts",
    _schema(
        [
            ("network", T.StringType(), False),
            ("account_id", T.StringType(), False),
            ("handle", T.StringType(), True),
            ("display_name", T.StringType(), True),
            ("bio", T.StringType(), True),
            ("lang", T.StringType(), True),
            ("followers_count", T.LongType(), True),
            ("profile_observed_at", T.TimestampType(), True),  # when the dump saw the profile fields above
            ("first_seen_at", T.TimestampType(), True),
            ("last_seen_at", T.TimestampType(), True),
            ("first_run_date", T.DateType(), False),
            ("last_run_date", T.DateType(), False),
        ]
    ),
    key=("network", "account_id"),
    description=(
        "Every account seen as actor or target or with a profile in a dump; profile fields come from the "
        "newest observation; *_seen_at are event times, null when a dump has none."
    ),
)

POSTS = Table(
    "silver",
    "posts",
    _schema(
        [
            ("network", T.StringType(), False),
            ("post_id", T.StringType(), False),
            ("author", T.StringType(), True),
            ("created_at", T.TimestampType(), True),
            ("lang", T.StringType(), True),
            ("text", T.StringType(), True),
            ("hashtags", T.ArrayType(T.StringType()), True),
            ("mentions", T.ArrayType(T.StringType()), True),
            ("reply_to_post_id", T.StringType(), True),
            ("reply_to_account", T.StringType(), True),
            ("reshare_of_post_id", T.StringType(), True),
            ("quote_of_post_id", T.StringType(), True),
            ("like_count", T.LongType(), True),
            ("reshare_count", T.LongType(), True),
            ("reply_count", T.LongType(), True),
            ("quote_count", T.LongType(), True),
            ("observed_at", T.TimestampType(), True),
            ("source", T.StringType(), False),
            ("file", T.StringType(), False),
            ("line_number", T.LongType(), False),
            ("first_run_date", T.DateType(), False),
            ("last_run_date", T.DateType(), False),
        ]
    ),
    key=("network", "post_id"),
    description=(
        "One row per post (tweet, status, comment, note): text, entities, references and the latest engagement "
        "counts a dump reported. source/file/line_number: the line of the newest observation when it was inserted."
    ),
    expires_by="last_run_date",  # kept by key, not by date: a post seen again since is still current
)

IDENTITY_LINKS = Table(
    "silver",
    "identity_links",
    _schema(
        [
            ("network", T.StringType(), False),
            ("account_id", T.StringType(), False),
            ("person_id", T.StringType(), False),
            ("source", T.StringType(), False),
            ("file", T.StringType(), False),
            ("line_number", T.LongType(), False),
            ("run_date", T.DateType(), False),
        ]
    ),
    key=("network", "account_id"),
    description=(
        "Which person an account belongs to (from the identity_links landing source); the latest link wins. "
        "An account without a link is its own person, `<network>:<account_id>`."
    ),
)

QUARANTINE = Table(
    "silver",
    "quarantine",
    _schema(
        [
            ("source", T.StringType(), False),
            ("file", T.StringType(), False),
            ("line_number", T.LongType(), False),
            ("line", T.StringType(), True),
            ("reason", T.StringType(), False),
            ("run_id", T.StringType(), False),
            ("run_date", T.DateType(), False),
        ]
    ),
    key=("run_date", "source", "file", "line_number"),
    partition_by=("run_date",),
    description="Lines that could not be conformed, with a specific reason.",
    expires_by="run_date",
)

# A person's accounts, the most engaged-with first (that one is the person's network and account_id).
PERSON_ACCOUNTS = T.ArrayType(
    T.StructType(
        [
            T.StructField("network", T.StringType(), True),
            T.StructField("account_id", T.StringType(), True),
        ]
    )
)

# Why a score is what it is (docs/model.md#explanation): shares of the night's rank by network and by
# interaction kind, each summing to 1 with "baseline", and the engagers who contributed most.
EXPLANATION = T.StructType(
    [
        T.StructField("by_network", T.MapType(T.StringType(), T.DoubleType()), True),
        T.StructField("by_kind", T.MapType(T.StringType(), T.DoubleType()), True),
        T.StructField(
            "top_engagers",
            T.ArrayType(
                T.StructType(
                    [
                        T.StructField("person_id", T.StringType(), True),
                        T.StructField("network", T.StringType(), True),
                        T.StructField("account_id", T.StringType(), True),
                        T.StructField("share", T.DoubleType(), True),
                    ]
                )
            ),
            True,
        ),
    ]
)
TOPICS = T.ArrayType(
    T.StructType(
        [
            T.StructField("topic_id", T.StringType(), True),
            T.StructField("name", T.StringType(), True),
            T.StructField("authority", T.DoubleType(), True),
            T.StructField("posts", T.LongType(), True),
        ]
    )
)
MOMENTS = T.ArrayType(
    T.StructType(
        [
            T.StructField("network", T.StringType(), True),
            T.StructField("post_id", T.StringType(), True),
            T.StructField("created_at", T.TimestampType(), True),
            T.StructField("engagements", T.LongType(), True),
            T.StructField("weighted_engagement", T.DoubleType(), True),
        ]
    )
)
# Moments in time (transforms/model/moments.py): days far above the person's own baseline, with evidence.
MOMENT_DAYS = T.ArrayType(
    T.StructType(
        [
            T.StructField("day", T.DateType(), True),
            T.StructField("engagers", T.LongType(), True),  # distinct persons who engaged that day
            T.StructField("interactions", T.LongType(), True),
            T.StructField("baseline", T.DoubleType(), True),  # mean engagers of the person's other days
            T.StructField("surprise", T.DoubleType(), True),  # (engagers - baseline) / sqrt(baseline + 1)
            T.StructField(
                "evidence",
                T.ArrayType(
                    T.StructType(
                        [
                            T.StructField("interaction_id", T.StringType(), True),
                            T.StructField("engager", T.StringType(), True),  # the person who engaged
                            T.StructField("kind", T.StringType(), True),
                            T.StructField("network", T.StringType(), True),
                            T.StructField("post_id", T.StringType(), True),  # the engaged post, when the source names it
                        ]
                    )
                ),
                True,
            ),
        ]
    )
)

_SCORE_FIELDS = [
    ("person_id", T.StringType(), False),
    ("network", T.StringType(), False),
    ("account_id", T.StringType(), False),
    ("accounts", PERSON_ACCOUNTS, False),
    ("pagerank", T.DoubleType(), False),
    ("relative_rank", T.DoubleType(), False),  # counted rank / baseline rank: 1 = a person nobody engages with
    ("score", T.IntegerType(), False),  # smoothed day over day
    ("raw_score", T.DoubleType(), False),  # tonight's calibrated score before smoothing and rounding
    ("percentile", T.DoubleType(), False),
    ("reach_score", T.IntegerType(), False),
    ("amplification_score", T.IntegerType(), False),
    ("network_score", T.IntegerType(), False),
    ("engagers", T.LongType(), False),
    ("interactions_received", T.LongType(), False),
    ("amplification", T.DoubleType(), False),
    ("engager_rank", T.DoubleType(), False),
    ("explanation", EXPLANATION, False),
    ("topics", TOPICS, False),
    ("moments", MOMENTS, False),
    ("model_version", T.StringType(), False),
    ("config_hash", T.StringType(), False),
    # Added with communities: nullable, so tables of an earlier release gain them (storage.ensure_table);
    # null when communities are disabled ([model.communities] enabled = false).
    ("community_id", T.StringType(), True),  # the person's community (transforms.model.communities)
    ("community_size", T.LongType(), True),
    ("community_share", T.DoubleType(), True),  # share of the counted rank sent from inside the community
    # Added with concentration (docs/model.md#concentration), nullable for the same reason:
    ("effective_engagers", T.DoubleType(), True),  # (sum f)^2 / sum f^2 over the engagers' flows f
    ("top_engager_share", T.DoubleType(), True),  # the biggest engager's share of the counted rank (<= 0.5)
    # Added with moments in time (docs/model.md#moments), nullable for the same reason:
    ("moment_days", MOMENT_DAYS, True),
]

INFLUENCE_SCORES = Table(
    "gold",
    "influence_scores",
    _schema([("run_date", T.DateType(), False), *_SCORE_FIELDS]),
    key=("run_date", "person_id"),
    partition_by=("run_date",),
    description="Score history: one row per person per published run date.",
)

STAGED_SCORES = Table(
    "staging",
    "influence_scores",
    INFLUENCE_SCORES.schema,
    key=INFLUENCE_SCORES.key,
    partition_by=("run_date",),
    description="The night's candidate scores, validated before they are published.",
)

PROFILES = Table(
    "gold",
    "profiles",
    # profile_key is nullable only so that a table published before it existed gains the column (ALTER TABLE).
    _schema([*_SCORE_FIELDS, ("as_of_date", T.DateType(), False), ("profile_key", T.StringType(), True)]),
    key=("person_id",),
    # Change Data Feed: `influence export --since-version` reads it. influence.schema_version: the version of
    # contracts/profiles.json this schema honours (tests/unit/test_contract.py). Neither needs a reader feature:
    # the table stays at reader version 1 (writer features appendOnly, invariants, changeDataFeed), which
    # delta-rs (`deltalake`) reads without a JVM, change feed included (tests/e2e/test_deltalake.py).
    properties={"delta.enableChangeDataFeed": "true", "influence.schema_version": "1"},
    description=(
        "The published table: one current row per person, from the latest published run date; "
        "(network, account_id), the person's primary account, is unique too."
    ),
)

COMMUNITY_PERSONS = T.ArrayType(
    T.StructType(
        [
            T.StructField("person_id", T.StringType(), True),
            T.StructField("network", T.StringType(), True),
            T.StructField("account_id", T.StringType(), True),
            T.StructField("score", T.IntegerType(), True),
        ]
    )
)
COMMUNITY_TOPICS = T.ArrayType(
    T.StructType(
        [
            T.StructField("topic_id", T.StringType(), True),
            T.StructField("name", T.StringType(), True),
            T.StructField("persons", T.LongType(), True),
        ]
    )
)
COMMUNITIES = Table(
    "gold",
    "communities",
    _schema(
        [
            ("community_id", T.StringType(), False),
            ("size", T.LongType(), False),
            ("top_persons", COMMUNITY_PERSONS, False),
            ("top_topics", COMMUNITY_TOPICS, False),
            ("as_of_date", T.DateType(), False),
        ]
    ),
    key=("community_id",),
    description="One row per community of the published night: its size, highest-scored persons and most held topics.",
)

# Delta refuses NOT NULL inside arrays, so nested fields are nullable.
_STAGE = T.StructType(
    [
        T.StructField("stage", T.StringType(), True),
        T.StructField("seconds", T.DoubleType(), True),
        T.StructField("counts", T.MapType(T.StringType(), T.LongType()), True),
        T.StructField("spark_jobs", T.LongType(), True),  # Spark jobs the stage ran (its job group)
    ]
)
_RECONCILIATION = T.StructType(
    [
        T.StructField("source", T.StringType(), True),
        T.StructField("file", T.StringType(), True),
        T.StructField("raw_lines", T.LongType(), True),
        T.StructField("conformed", T.LongType(), True),
        T.StructField("quarantined", T.LongType(), True),
        T.StructField("skipped", T.MapType(T.StringType(), T.LongType()), True),  # lines per skip reason
        T.StructField("reconciled", T.BooleanType(), True),
        T.StructField("quarantine_reasons", T.MapType(T.StringType(), T.LongType()), True),  # lines per reason code
    ]
)
_VALIDATION = T.StructType(
    [
        T.StructField("suite", T.StringType(), True),
        T.StructField("success", T.BooleanType(), True),
        T.StructField("evaluated", T.IntegerType(), True),
        T.StructField("failed", T.ArrayType(T.StringType()), True),
        T.StructField("seconds", T.DoubleType(), True),
        T.StructField("engine", T.StringType(), True),  # where GX computed the metrics: spark or pandas
    ]
)

RUNS = Table(
    "ops",
    "runs",
    _schema(
        [
            ("run_id", T.StringType(), False),
            ("command", T.StringType(), False),
            ("run_date", T.DateType(), True),
            ("status", T.StringType(), False),
            ("exit_code", T.IntegerType(), True),
            ("started_at", T.TimestampType(), False),
            ("ended_at", T.TimestampType(), True),
            ("input", T.StringType(), True),
            ("master", T.StringType(), True),
            ("stages", T.ArrayType(_STAGE), True),
            ("reconciliation", T.ArrayType(_RECONCILIATION), True),
            ("validation", T.ArrayType(_VALIDATION), True),
            ("message", T.StringType(), True),
            # Added after the first release: nullable, so storage.ensure_table adds it to an older run log.
            ("data_docs", T.StringType(), True),  # the run's Great Expectations Data Docs page, under <lake>/ops/data_docs
        ]
    ),
    key=("run_id",),
    description="One row per run: status, timings, row counts per stage, reconciliation, validation summary.",
)

# Governance (docs/privacy.md): identifiers appear only as keyed hashes (HMAC-SHA256 under the lake's
# privacy key) of subjects 'account:<network>:<account_id>', 'handle:<network>:<handle>', 'person:<person_id>'.
SUBJECT_KINDS = ("account", "handle", "person")
GOVERNANCE_ACTIONS = ("opt_out", "opt_in", "erase", "minor")
# Consent states (governance/consent `state`): the first three keep a person out of the model and the
# published tables; opted_in only allows publishing under privacy.mode = "opt_in".
OPTED_OUT, ERASED, MINOR, OPTED_IN = "opted_out", "erased", "minor", "opted_in"
SUPPRESSING_STATES = (OPTED_OUT, ERASED, MINOR)

GOVERNANCE_REQUESTS = Table(
    "governance",
    "requests",
    _schema(
        [
            ("request_id", T.StringType(), False),
            ("subject_kind", T.StringType(), False),  # account | person: what the request named
            ("subject_key", T.StringType(), False),
            ("action", T.StringType(), False),
            ("requested_at", T.TimestampType(), False),
            ("recorded_at", T.TimestampType(), False),
            ("reference", T.StringType(), True),  # the requester's ticket or case number, as given
            ("origin", T.StringType(), False),  # cli, or landing:<file>
            ("outcome", T.StringType(), True),  # what was done: applied, lifted, ignored (<why>)
        ]
    ),
    key=("request_id",),
    description="The audit trail: every opt-out, opt-in, erasure and minor flag received, by keyed hash only.",
)

CONSENT = Table(
    "governance",
    "consent",
    _schema(
        [
            ("subject_key", T.StringType(), False),
            ("subject_kind", T.StringType(), False),  # account | handle | person
            ("state", T.StringType(), False),  # opted_out | erased | minor (suppressing) | opted_in
            ("since", T.TimestampType(), False),
            ("request_id", T.StringType(), False),
        ]
    ),
    key=("subject_key", "state"),
    description=(
        "Who is suppressed and why: persons and accounts (and an erased or opted-out account's handle) by keyed hash. "
        "An opt-in lifts opted_out; erased and minor stay."
    ),
)

ERASURES = Table(
    "governance",
    "erasures",
    _schema(
        [
            ("request_id", T.StringType(), False),
            ("profile_key", T.StringType(), True),  # the erased profile's published key, for the feed's delete
            ("erased_at", T.TimestampType(), False),
            ("profiles_version", T.LongType(), True),  # gold/profiles version after the erasure (history before is purged)
        ]
    ),
    key=("request_id",),
    description="Completed erasures: the next export emits a delete by profile_key; profiles history before profiles_version is gone.",
)

ALL_TABLES = (
    RAW_LINES,
    INTERACTIONS,
    ACCOUNTS,
    POSTS,
    IDENTITY_LINKS,
    QUARANTINE,
    STAGED_SCORES,
    INFLUENCE_SCORES,
    PROFILES,
    COMMUNITIES,
    RUNS,
    GOVERNANCE_REQUESTS,
    CONSENT,
    ERASURES,
)

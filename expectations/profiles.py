"""The profiles a night would publish (to_profiles of the staged scores), checked before the MERGE.

Besides the published table's own invariants (one row per person and per primary account, scores 1-100,
percentiles 0-100, one as-of date), it checks that nobody suppressed is in it (docs/privacy.md): the
column `suppressed` (with_suppression_flag) is true for a person any of whose keys is opted out, erased
or flagged a minor in governance/consent.
"""

import great_expectations as gx
from pyspark.sql import DataFrame, functions as F

from influence.tables import NETWORKS, SUPPRESSING_STATES
from transforms.privacy import to_persons_in_states

NAME = "profiles"
SCORE_COLUMNS = ("score", "reach_score", "amplification_score", "network_score")


def with_suppression_flag(profiles: DataFrame, consent: DataFrame, key: bytes) -> DataFrame:
    """`suppressed`: the person or one of their accounts has a suppressing consent state."""
    suppressed = to_persons_in_states(profiles, consent, SUPPRESSING_STATES, key).withColumn("suppressed", F.lit(True))
    return profiles.join(suppressed, on="person_id", how="left").withColumn(
        "suppressed", F.coalesce(F.col("suppressed"), F.lit(False))
    )


def build_suite() -> gx.ExpectationSuite:
    """Validates with_suppression_flag(profiles). Parameters: as_of_dates ([ISO date]): the night's date; min_rows: 1, or 0 under
    `[privacy] publish = "opt_in"`, where a night may publish nobody yet."""
    expectations = []
    expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value={"$PARAMETER": "min_rows"}))
    for column in ("person_id", "network", "account_id", "score", "percentile", "as_of_date", "profile_key"):
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    expectations.append(gx.expectations.ExpectColumnValuesToBeUnique(column="person_id"))
    expectations.append(gx.expectations.ExpectColumnValuesToBeUnique(column="profile_key"))
    expectations.append(gx.expectations.ExpectColumnValueLengthsToEqual(column="profile_key", value=64))  # HMAC-SHA256 hex
    expectations.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["network", "account_id"]))
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="network", value_set=list(NETWORKS)))
    for column in SCORE_COLUMNS:
        expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=1, max_value=100))
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="percentile", min_value=0, max_value=100))
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="as_of_date", value_set={"$PARAMETER": "as_of_dates"}))
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="suppressed", value_set=[False]))
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

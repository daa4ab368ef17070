"""The night's new silver interactions."""

import great_expectations as gx

from influence.tables import INTERACTION_KINDS, NETWORKS

NAME = "silver_interactions"


def build_suite() -> gx.ExpectationSuite:
    """Parameters: latest_plausible_time (ISO timestamp: end of the run date plus a tolerance)."""
    expectations = []
    # target may be null: a reply whose parent post the lake has not seen yet (resolved on a later night)
    for column in ("interaction_id", "network", "actor", "kind", "weight", "run_date"):
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    expectations.append(gx.expectations.ExpectColumnValuesToBeUnique(column="interaction_id"))
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="network", value_set=list(NETWORKS)))
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="kind", value_set=list(INTERACTION_KINDS)))
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="weight", min_value=0, strict_min=True))
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeBetween(column="occurred_at", max_value={"$PARAMETER": "latest_plausible_time"})
    )
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

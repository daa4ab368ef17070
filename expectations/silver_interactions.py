"""The night's new silver interactions."""

import great_expectations as gx

from influence.tables import INTERACTION_KINDS, NETWORKS

NAME = "silver_interactions"


def build_suite() -> gx.ExpectationSuite:
    """Parameters: latest_plausible_time (ISO timestamp: end of the run date plus a tolerance)."""
    suite = gx.ExpectationSuite(name=NAME)
    # target may be null: a reply whose parent post the lake has not seen yet (resolved on a later night)
    for column in ("interaction_id", "network", "actor", "kind", "weight", "run_date"):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column="interaction_id"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(column="network", value_set=list(NETWORKS)))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(column="kind", value_set=list(INTERACTION_KINDS)))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(column="weight", min_value=0, strict_min=True))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="occurred_at", max_value={"$PARAMETER": "latest_plausible_time"})
    )
    return suite

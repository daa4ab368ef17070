"""silver posts of the night: one row per (network, post_id), known networks, counts not negative."""

import great_expectations as gx

from influence.tables import NETWORKS

NAME = "posts"


def build_suite() -> gx.ExpectationSuite:
    """Parameters: latest_plausible_time (ISO timestamp: posts from the future are a broken clock or dump)."""
    suite = gx.ExpectationSuite(name=NAME)
    for column in ("network", "post_id", "source", "file", "line_number"):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    suite.add_expectation(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["network", "post_id"]))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(column="network", value_set=list(NETWORKS)))
    for column in ("like_count", "reshare_count", "reply_count", "quote_count"):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="created_at", max_value={"$PARAMETER": "latest_plausible_time"})
    )
    return suite

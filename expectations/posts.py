"""silver posts of the night: one row per (network, post_id), known networks, counts not negative."""

import great_expectations as gx

from influence.tables import NETWORKS

NAME = "posts"


def build_suite() -> gx.ExpectationSuite:
    """Parameters: latest_plausible_time (ISO timestamp: posts from the future are a broken clock or dump)."""
    expectations = []
    for column in ("network", "post_id", "source", "file", "line_number"):
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    expectations.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["network", "post_id"]))
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="network", value_set=list(NETWORKS)))
    for column in ("like_count", "reshare_count", "reply_count", "quote_count"):
        expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeBetween(column="created_at", max_value={"$PARAMETER": "latest_plausible_time"})
    )
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

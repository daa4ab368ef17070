"""The night's candidate scores (staging), checked before they are published as profiles."""

import great_expectations as gx

from influence.tables import NETWORKS

NAME = "influence_scores"
PAGERANK_SUM_TOLERANCE = 1e-6


def build_suite() -> gx.ExpectationSuite:
    """Parameters: run_dates ([ISO date]): the only date the staged rows may carry."""
    suite = gx.ExpectationSuite(name=NAME)
    suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    for column in ("run_date", "person_id", "network", "account_id", "pagerank", "score", "percentile"):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    suite.add_expectation(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["run_date", "person_id"]))
    suite.add_expectation(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["run_date", "network", "account_id"]))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(column="network", value_set=list(NETWORKS)))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(column="run_date", value_set={"$PARAMETER": "run_dates"}))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(column="score", min_value=1, max_value=100))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(column="percentile", min_value=0, max_value=100))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="pagerank", min_value=0, max_value=1, strict_min=True)
    )
    suite.add_expectation(
        gx.expectations.ExpectColumnSumToBeBetween(
            column="pagerank", min_value=1 - PAGERANK_SUM_TOLERANCE, max_value=1 + PAGERANK_SUM_TOLERANCE
        )
    )
    for column in ("engagers", "interactions_received"):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    return suite

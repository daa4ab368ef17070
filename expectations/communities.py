"""The communities a night would publish (gold/communities, built from the staged scores): one row per
community, a positive size, leaders drawn from its members, and sizes that add up to the scored persons."""

import great_expectations as gx
from pyspark.sql import DataFrame, functions as F

NAME = "communities"


def with_checked_columns(communities: DataFrame) -> DataFrame:
    """leaders: how many top persons a community lists."""
    return communities.withColumn("leaders", F.size("top_persons"))


def build_suite() -> gx.ExpectationSuite:
    """Validates with_checked_columns(communities). Parameters: persons (the published scores' rows with a community), as_of_dates ([ISO date]), min_rows (as
    for the profiles suite)."""
    expectations = []
    expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value={"$PARAMETER": "min_rows"}))
    for column in ("community_id", "size", "top_persons", "as_of_date"):
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    expectations.append(gx.expectations.ExpectColumnValuesToBeUnique(column="community_id"))
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="size", min_value=1))
    # every member is counted once: the sizes add up to the persons scored tonight
    expectations.append(
        gx.expectations.ExpectColumnSumToBeBetween(
            column="size", min_value={"$PARAMETER": "persons"}, max_value={"$PARAMETER": "persons"}
        )
    )
    # a community's leaders are its own members, so it has at least one and at most `size`
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="leaders", min_value=1))
    expectations.append(
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="size", column_B="leaders", or_equal=True)
    )
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="as_of_date", value_set={"$PARAMETER": "as_of_dates"}))
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

"""The accounts a night merges into silver/accounts: keys present, a span that does not run backwards."""

import great_expectations as gx

NAME = "accounts"


def build_suite() -> gx.ExpectationSuite:
    """No parameters. *_seen_at are null for dumps without event times (edge lists): those rows are skipped."""
    expectations = []
    for column in ("network", "account_id", "first_run_date", "last_run_date"):
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    expectations.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["network", "account_id"]))
    expectations.append(
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="last_seen_at", column_B="first_seen_at", or_equal=True, ignore_row_if="either_value_is_missing"
        )
    )
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

"""Per landed file: every raw line accounted for once, and not too many of them malformed."""

import great_expectations as gx

NAME = "reconciliation"


def build_suite() -> gx.ExpectationSuite:
    """Parameters: max_quarantine_fraction."""
    expectations = []
    expectations.append(gx.expectations.ExpectColumnPairValuesToBeEqual(column_A="raw_lines", column_B="accounted_lines"))
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="quarantined_fraction", min_value=0, max_value={"$PARAMETER": "max_quarantine_fraction"}
        )
    )
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

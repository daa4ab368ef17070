"""The night's quarantined lines: every one carries a reason the connectors know."""

import great_expectations as gx

NAME = "quarantine"
# transforms/snap.py writes "<prefix>: <detail>"; a new connector's reasons are added here.
REASON_PREFIXES = ("wrong_field_count", "bad_timestamp", "unknown_kind", "bad_weight")
REASON_PATTERN = rf"^({'|'.join(REASON_PREFIXES)})(:|$)"


def build_suite() -> gx.ExpectationSuite:
    """No parameters."""
    suite = gx.ExpectationSuite(name=NAME)
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="reason"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToMatchRegex(column="reason", regex=REASON_PATTERN))
    return suite

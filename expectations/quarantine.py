"""The night's quarantined lines: every one carries a reason the connectors know."""

import great_expectations as gx

from transforms.connectors.lines import QUARANTINE_REASON_CODES

NAME = "quarantine"
# Connectors write "<code>: <detail>" (transforms/records.py)
REASON_PATTERN = rf"^({'|'.join(QUARANTINE_REASON_CODES)})(:|$)"


def build_suite() -> gx.ExpectationSuite:
    """No parameters."""
    expectations = []
    expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column="reason"))
    expectations.append(gx.expectations.ExpectColumnValuesToMatchRegex(column="reason", regex=REASON_PATTERN))
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

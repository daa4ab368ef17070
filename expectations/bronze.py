"""The night's bronze lines (bronze/raw_lines of the run date): provenance present, each line stored once."""

import great_expectations as gx

NAME = "bronze_lines"


def build_suite() -> gx.ExpectationSuite:
    """No parameters: validated on one run date's lines, so (source, file, line_number) must be unique."""
    expectations = []
    for column in ("source", "file", "line_number", "run_date"):
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="line_number", min_value=1))
    expectations.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["source", "file", "line_number"]))
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

"""The night's candidate scores against the published profiles: one row from transforms.quality.to_run_over_run.

A broken night (most accounts gone, scores shifted wholesale) must not silently replace a good one.
"""

import great_expectations as gx

from transforms.quality import SCORE_QUANTILES

NAME = "run_over_run"


def build_suite() -> gx.ExpectationSuite:
    """Parameters: min_row_ratio, max_row_ratio, max_mean_score_shift, max_quantile_shift (validation.* config)."""
    expectations = []
    expectations.append(gx.expectations.ExpectTableRowCountToEqual(value=1))
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="row_ratio",
            min_value={"$PARAMETER": "min_row_ratio"},
            max_value={"$PARAMETER": "max_row_ratio"},
        )
    )
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="mean_score_shift", min_value=0, max_value={"$PARAMETER": "max_mean_score_shift"}
        )
    )
    for name, _ in SCORE_QUANTILES:
        expectations.append(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=f"{name}_score_shift", min_value=0, max_value={"$PARAMETER": "max_quantile_shift"}
            )
        )
    for column in ("row_ratio", "mean_score_shift", *[f"{name}_score_shift" for name, _ in SCORE_QUANTILES]):
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

"""The night's candidate scores (staging), checked before they are published as profiles."""

import great_expectations as gx
from pyspark.sql import DataFrame, functions as F

from influence.tables import NETWORKS

NAME = "influence_scores"
PAGERANK_SUM_TOLERANCE = 1e-6
SHARE_SUM_TOLERANCE = 1e-9
SCORE_COLUMNS = ("score", "reach_score", "amplification_score", "network_score")


def with_checked_columns(scores: DataFrame) -> DataFrame:
    """Row-level facts the suite checks as columns: each explanation map's total, and whether the topic and
    moment lists are well formed (ids present, authority 0-100, engagement positive)."""

    def total(column):
        return F.aggregate(F.map_values(F.col("explanation")[column]), F.lit(0.0), lambda acc, value: acc + value)

    topics_ok = F.forall(
        "topics",
        lambda t: t["topic_id"].isNotNull() & t["name"].isNotNull() & t["authority"].between(0, 100) & (t["posts"] >= 1),
    ) & (F.size(F.array_distinct(F.transform("topics", lambda t: t["topic_id"]))) == F.size("topics"))
    moments_ok = F.forall(
        "moments", lambda m: m["post_id"].isNotNull() & (m["engagements"] >= 1) & (m["weighted_engagement"] > 0)
    )
    engagers_ok = F.forall("explanation.top_engagers", lambda e: e["person_id"].isNotNull() & e["share"].between(0, 1))
    return scores.withColumns(
        {
            "explanation_network_total": total("by_network"),
            "explanation_kind_total": total("by_kind"),
            "lists_well_formed": F.coalesce(topics_ok & moments_ok & engagers_ok, F.lit(False)),
        }
    )


def build_suite() -> gx.ExpectationSuite:
    """Validates with_checked_columns(scores). Parameters: run_dates ([ISO date]): the only date the staged
    rows may carry; model_versions ([str]) and config_hashes ([str]): the model that must have scored them."""
    expectations = []
    expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    for column in (
        "run_date",
        "person_id",
        "network",
        "account_id",
        "pagerank",
        "relative_rank",
        "score",
        "raw_score",
        "percentile",
        *SCORE_COLUMNS[1:],
        "amplification",
        "engager_rank",
        "explanation",
        "topics",
        "moments",
        "model_version",
        "config_hash",
    ):
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    expectations.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["run_date", "person_id"]))
    expectations.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["run_date", "network", "account_id"]))
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="network", value_set=list(NETWORKS)))
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="run_date", value_set={"$PARAMETER": "run_dates"}))
    for column in SCORE_COLUMNS:
        expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=1, max_value=100))
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="raw_score", min_value=1, max_value=100))
    for column in ("explanation_network_total", "explanation_kind_total"):
        expectations.append(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=column, min_value=1 - SHARE_SUM_TOLERANCE, max_value=1 + SHARE_SUM_TOLERANCE
            )
        )
    expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(column="lists_well_formed", value_set=[True]))
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeInSet(column="model_version", value_set={"$PARAMETER": "model_versions"})
    )
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeInSet(column="config_hash", value_set={"$PARAMETER": "config_hashes"})
    )
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="percentile", min_value=0, max_value=100))
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeBetween(column="pagerank", min_value=0, max_value=1, strict_min=True)
    )
    expectations.append(
        gx.expectations.ExpectColumnSumToBeBetween(
            column="pagerank", min_value=1 - PAGERANK_SUM_TOLERANCE, max_value=1 + PAGERANK_SUM_TOLERANCE
        )
    )
    for column in ("engagers", "interactions_received", "amplification", "engager_rank"):
        expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    # Community columns are null only when communities are off (nulls are not checked by these two).
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="community_size", min_value=1))
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="community_share", min_value=0, max_value=1 + 1e-9))
    # Concentration (null only in rows of an earlier release): no engager supplies more than half of the
    # rank the score counts
    expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(column="effective_engagers", min_value=0))
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeBetween(column="top_engager_share", min_value=0, max_value=0.5 + 1e-9)
    )
    return gx.ExpectationSuite(name=NAME, expectations=expectations)

"""The notebooks of notebooks/ executed top to bottom on a lake, as `make notebooks` does after `make run`:
every cell runs, and each notebook draws at least one picture. The lake is the analyst lake (two generated
nights: topics, languages, communities and a second version for time travel)."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from influence import storage
from influence.notebooks import NotebookKernel, notebook_paths
from influence.tables import PROFILES
from tests.support.jvm import short_lived_jvm_options

NOTEBOOKS = [path.name for path in notebook_paths()]


def test_the_five_analyst_notebooks_are_there():
    assert NOTEBOOKS == [
        "01_getting_started.ipynb",
        "02_topics.ipynb",
        "03_a_person.ipynb",
        "04_the_graph.ipynb",
        "05_quality_and_operations.ipynb",
    ]


def committed_without_outputs(path) -> bool:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    return all(
        not cell.get("outputs") and cell.get("execution_count") is None for cell in notebook.cells if cell.cell_type == "code"
    )


@pytest.fixture(scope="module")
def kernel(analyst_lake):
    """The kernel `make notebooks` uses; one core for its Spark driver, the suite's other process runs beside it.
    Its JVM lives for the five notebooks' queries, a few minutes (tests/support/jvm.py)."""
    with NotebookKernel(
        analyst_lake.lake, {"SPARK_MASTER": "local[1]", "JAVA_TOOL_OPTIONS": short_lived_jvm_options()}
    ) as started:
        yield started


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_notebook_runs_top_to_bottom_and_draws(spark, kernel, analyst_lake, name):
    [path] = notebook_paths([name])
    assert committed_without_outputs(path), f"{name} is committed with outputs: clear them before committing"

    result = kernel.execute(path)

    assert result.error is None, result.error
    assert result.images >= 1
    if name == "01_getting_started.ipynb":
        listed = printed_by(result.executed, "SHOW TABLES IN influence")
        assert "profiles" in listed and "influence_scores" in listed and "consent" not in listed
    if name == "02_topics.ipynb":
        # the largest topic, counted here from the published profiles, heads the notebook's topic sizes
        largest = (
            storage.read(spark, PROFILES, analyst_lake.lake)
            .select(F.explode("topics.name").alias("topic"))
            .groupBy("topic")
            .count()
            .orderBy(F.col("count").desc(), "topic")
            .first()
        )
        assert largest is not None, "the analyst lake has no topics: the scenario no longer tests them"
        sizes = printed_by(result.executed, "FROM person_topics GROUP BY topic")
        first_row = sizes.split("\n")[1] + " "  # pandas' text: index, topic, persons, languages
        assert largest["topic"] in first_row and f" {largest['count']} " in first_row, sizes
    if name == "03_a_person.ipynb":
        # time travel: the person's score read at a version of each night, so both dates are in that frame
        versions = printed_by(result.executed, "DESCRIBE HISTORY influence.profiles")
        assert all(date in versions for date in analyst_lake.dates), versions


def printed_by(executed, marker: str) -> str:
    """The text outputs of the code cell whose source holds `marker`."""
    [cell] = [cell for cell in executed.cells if cell.cell_type == "code" and marker in cell.source]
    return "\n".join(str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", "")) for output in cell.outputs)


def test_a_view_made_by_one_notebook_is_gone_for_the_next(kernel, tmp_path):
    """02_topics makes the temporary view person_topics (the tests above ran it in this kernel); the next
    notebook starts without it, as it would alone."""
    import nbformat

    probe = tmp_path / "probe.ipynb"
    cells = ["from pyspark.sql import SparkSession", "SparkSession.getActiveSession().table('person_topics')"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), probe)
    made = tmp_path / "made.ipynb"
    cells = [
        "from pyspark.sql import SparkSession",
        "SparkSession.getActiveSession().range(1).createOrReplaceTempView('person_topics')",
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), made)

    assert kernel.execute(made).error is None
    result = kernel.execute(probe)

    assert result.error is not None and "person_topics" in result.error

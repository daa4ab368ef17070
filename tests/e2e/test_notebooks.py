"""The notebooks of notebooks/ executed top to bottom on a lake, as `make notebooks` does after `make run`:
every cell runs, and each notebook draws at least one picture. The lake is the analyst lake (two generated
nights: topics, languages, communities and a second version for time travel)."""

from __future__ import annotations

import pytest

from influence.notebooks import NotebookKernel, notebook_paths

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
    """The kernel `make notebooks` uses; one core for its Spark driver, the suite's other process runs beside it."""
    with NotebookKernel(analyst_lake.lake, {"SPARK_MASTER": "local[1]"}) as started:
        yield started


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_notebook_runs_top_to_bottom_and_draws(kernel, analyst_lake, name):
    [path] = notebook_paths([name])
    assert committed_without_outputs(path), f"{name} is committed with outputs: clear them before committing"

    result = kernel.execute(path)

    assert result.error is None, result.error
    assert result.images >= 1
    printed = "\n".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
        for cell in result.executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    if name == "01_getting_started.ipynb":
        assert "profiles" in printed and "influence_scores" in printed and "governance" not in printed
    if name == "02_topics.ipynb":
        assert "This lake has no topics" not in printed  # generated posts carry topic words
    if name == "03_a_person.ipynb":
        # time travel: the person's score at a version of each night, so both dates are in the history frame
        assert all(date in printed for date in analyst_lake.dates)

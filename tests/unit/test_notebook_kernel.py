"""influence/notebooks.py's shared kernel: a notebook starts with an empty namespace, so it cannot lean on a
name the notebook before it defined; a failing cell is reported with its error, and pictures are counted."""

from __future__ import annotations

import nbformat

from influence.notebooks import NotebookKernel


def written(path, *sources: str):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    nbformat.write(notebook, path)
    return path


def test_each_notebook_starts_empty_and_errors_are_reported(tmp_path):
    first = written(tmp_path / "first.ipynb", "import os\nleftover = os.environ['INFLUENCE_LAKE']", "leftover")
    second = written(tmp_path / "second.ipynb", "print(leftover)")
    drawing = written(
        tmp_path / "third.ipynb",
        "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\nimport matplotlib.pyplot as plt",
        "plt.plot([1, 2, 3])\nplt.show()",
    )

    with NotebookKernel(tmp_path / "lake") as kernel:
        ran, failed, drew = kernel.execute(first), kernel.execute(second), kernel.execute(drawing)

    assert ran.error is None and ran.images == 0
    assert str(tmp_path / "lake") in ran.executed.cells[1].outputs[0]["data"]["text/plain"]
    assert len(ran.executed.cells) == 2  # the reset cell is not part of the executed copy
    assert failed.error is not None and "NameError" in failed.error and "leftover" in failed.error
    assert drew.error is None and drew.images == 1

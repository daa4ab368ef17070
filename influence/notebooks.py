"""The notebooks of notebooks/, executed top to bottom on a lake: `make notebooks`, and the test suite.

    python -m influence.notebooks --lake ./lakehouse [--out DIR] [NAME.ipynb ...]

The notebooks run one after the other in one kernel of this Python (nbclient), started in the notebooks
folder with INFLUENCE_LAKE set to the lake. Each begins with its namespace emptied (`%reset -f`) and the
Spark session's temporary views and cache dropped, so it runs as it would alone: a name or a view it
forgets to define fails it. What it shares with the one before is the Spark driver, which its first cell
gets back from the session builder instead of starting a JVM (a start and its JIT warm-up is about 20 s of
both cores). The executed copies (outputs and pictures) go to --out, by default <lake>/ops/notebooks: their
outputs name persons, and an erasure redacts that folder with the Data Docs. The committed notebooks are
left as they are, without outputs. Exit 1 when a notebook fails or draws no picture.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from influence.config import load_config
from influence.location import LakeLike, LakeLocation, ops_folder

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def notebooks_dir(lake: LakeLike) -> Path:
    """Where make notebooks writes the executed copies: in the lake, since their outputs name persons, so
    an erasure redacts them with the Data Docs."""
    return ops_folder(lake) / "ops" / "notebooks"


CELL_TIMEOUT_SECONDS = 600
# Run before each notebook: the Spark session's temporary views and cached frames, the open figures and the
# Python namespace of the notebook before are dropped; the session itself (its JVM) stays.
RESET = """
from pyspark.sql import SparkSession as _Session
if _Session.getActiveSession() is not None:
    for _view in _Session.getActiveSession().sql("SHOW VIEWS").collect():
        if _view.isTemporary:
            _Session.getActiveSession().catalog.dropTempView(_view.viewName)
    _Session.getActiveSession().catalog.clearCache()
import matplotlib.pyplot as _plt
_plt.close("all")
%reset -f
""".strip()


@dataclass(frozen=True)
class ExecutedNotebook:
    name: str
    images: int  # image/png outputs
    error: str | None  # the failing cell's error, None when it ran through
    executed: object  # the nbformat node, outputs included


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    paths = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    if names:
        wanted = set(names)
        paths = [path for path in paths if path.name in wanted]
        missing = wanted - {path.name for path in paths}
        if missing:
            raise SystemExit(f"no such notebook in {NOTEBOOKS_DIR}: {', '.join(sorted(missing))}")
    return paths


def image_outputs(executed) -> int:
    return sum(
        1
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    )


class NotebookKernel:
    """One kernel for several notebooks (see the module docstring); use it in a `with`."""

    def __init__(self, lake: LakeLike, extra_env: dict[str, str] | None = None) -> None:
        self.env = {**os.environ, "INFLUENCE_LAKE": LakeLocation.of(lake).uri, **(extra_env or {})}
        self.manager = None

    def __enter__(self) -> NotebookKernel:
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=self.env, cwd=str(NOTEBOOKS_DIR))
        return self

    def __exit__(self, *exc_info) -> None:
        self.manager.shutdown_kernel(now=True)

    def execute(self, path: Path) -> ExecutedNotebook:
        """Run one notebook top to bottom after emptying the namespace; an error in a cell stops it and is
        reported, not raised."""
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError

        notebook = nbformat.read(path, as_version=4)
        notebook.cells.insert(0, nbformat.v4.new_code_cell(RESET))
        client = NotebookClient(notebook, km=self.manager, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3")
        try:
            client.execute()
            error = None
        except CellExecutionError as failure:
            error = str(failure)
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
        del notebook.cells[0]
        return ExecutedNotebook(path.name, image_outputs(notebook), error, notebook)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m influence.notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("--lake", default="lakehouse", help="the lake to open (default: ./lakehouse, what make run builds)")
    parser.add_argument("--out", help="folder for the executed copies (default: <lake>/ops/notebooks)")
    parser.add_argument("names", nargs="*", metavar="NAME.ipynb", help="only these notebooks (default: all)")
    args = parser.parse_args(argv)
    lake = load_config(lake=args.lake).lake_location  # INFLUENCE__STORAGE__OPS_DIR names an object store's ops root
    if lake.is_local and not lake.local_root.is_dir():
        print(f"no lake at {lake}: run `make run` first (or pass --lake)", file=sys.stderr)
        return 2
    import nbformat

    out = Path(args.out) if args.out else notebooks_dir(lake)
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    with NotebookKernel(lake) as kernel:
        for path in notebook_paths(args.names):
            result = kernel.execute(path)
            nbformat.write(result.executed, out / path.name)
            verdict = "ok" if result.error is None and result.images else "FAILED"
            print(f"{verdict:6} {path.name}: {result.images} picture(s) -> {out / path.name}")
            if result.error is not None:
                print(result.error, file=sys.stderr)
            elif not result.images:
                print(f"{path.name} ran but drew no picture", file=sys.stderr)
            failed += verdict != "ok"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

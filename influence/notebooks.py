"""The notebooks of notebooks/, executed top to bottom on a lake: `make notebooks`, and the test suite.

    python -m influence.notebooks --lake ./lakehouse [--out build/notebooks] [NAME.ipynb ...]

Each notebook runs in a fresh kernel of this Python (nbclient), in the notebooks folder, with INFLUENCE_LAKE
set to the lake; the executed copy (outputs and pictures) is written to --out, and the committed notebook
is left as it is, without outputs. Exit 1 when a notebook fails or draws no picture.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
CELL_TIMEOUT_SECONDS = 600


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


def execute(path: Path, lake: Path, extra_env: dict[str, str] | None = None) -> ExecutedNotebook:
    """Run one notebook on `lake` in a new kernel; an error in a cell stops it and is reported, not raised."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    env = {**os.environ, "INFLUENCE_LAKE": str(Path(lake).resolve()), **(extra_env or {})}
    try:
        client.execute(env=env)
        error = None
    except CellExecutionError as failure:
        error = str(failure)
    return ExecutedNotebook(path.name, image_outputs(notebook), error, notebook)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m influence.notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("--lake", default="lakehouse", help="the lake to open (default: ./lakehouse, what make run builds)")
    parser.add_argument("--out", default="build/notebooks", help="folder for the executed copies (default build/notebooks)")
    parser.add_argument("names", nargs="*", metavar="NAME.ipynb", help="only these notebooks (default: all)")
    args = parser.parse_args(argv)
    lake = Path(args.lake).resolve()
    if not lake.is_dir():
        print(f"no lake at {lake}: run `make run` first (or pass --lake)", file=sys.stderr)
        return 2
    import nbformat

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in notebook_paths(args.names):
        result = execute(path, lake)
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

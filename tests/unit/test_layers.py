"""Imports go one way: jobs -> stages -> influence (infrastructure) and expectations -> transforms -> the
table registry. Read from the source with ast, so a wrong import fails here before it tangles the tree."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("jobs", "stages", "influence", "expectations", "transforms")
# What each package may import of the project (its own modules always).
ALLOWED = {
    "jobs": {"jobs", "stages", "influence", "expectations", "transforms"},
    "stages": {"stages", "influence", "expectations", "transforms"},
    "influence": {"influence", "transforms"},
    # influence.location: where the lake lives, a leaf module the table registry itself uses
    "expectations": {"expectations", "influence.tables", "influence.location", "transforms"},
    "transforms": {"transforms", "influence.tables"},
}


def project_imports(path: Path) -> set[str]:
    """The dotted names of project modules `path` imports (at any depth: late imports count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.split(".")[0] in PACKAGES}


def is_allowed(name: str, allowed: set[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in allowed)


def violations() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in sorted(project_imports(path)):
                # `from influence import storage` names the package and the module: judge the module
                if name == "influence" or (name.count(".") == 0 and name in PACKAGES and name == package):
                    continue
                if not is_allowed(name, ALLOWED[package]):
                    found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_imports_go_one_way():
    assert violations() == []


def test_the_checker_catches_a_transform_importing_the_config(tmp_path, monkeypatch):
    fake = tmp_path / "transforms"
    fake.mkdir()
    (fake / "bad.py").write_text("from influence.config import Config\nfrom influence.tables import RUNS\n")
    for package in PACKAGES:
        if package != "transforms":
            (tmp_path / package).mkdir()
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert violations() == ["transforms/bad.py imports influence.config", "transforms/bad.py imports influence.config.Config"]

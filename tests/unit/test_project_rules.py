"""Rules of the repository that import-linter cannot see (functions are not a package)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name.lower())] = version
    return pins


def test_layer_requirements_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = (ROOT / "layers/agenda_core/requirements.txt").read_text().splitlines()

    assert _pins(layer) == _pins(project)
    assert all(version for version in _pins(layer).values()), "every runtime dependency is pinned"


def test_functions_import_neither_storage_nor_each_other():
    forbidden = {"boto3", "botocore", "pynamodb", "functions"}
    for app in sorted(ROOT.glob("functions/*/app.py")):
        tree = ast.parse(app.read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
                if node.module.startswith("agenda_core.db"):
                    imported.add("agenda_core.db")
        assert not imported & (forbidden | {"agenda_core.db"}), f"{app} imports {imported & forbidden}"

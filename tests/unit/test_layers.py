"""The package tree is the architecture: imports go down the layers, and the README draws the tree as it is."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pipeline"

# Lower rank = lower layer. A module may import its own layer and any lower one, never a higher one
# (the commands on top may start the demo and the development tools).
RANK = {
    "core": 0,
    "detect": 1,
    "stories": 1,
    "alerting": 1,
    "telemetry": 1,
    "sources": 2,
    "sinks": 2,
    "transforms": 3,
    "runtime": 4,
    "demo": 5,
    "devtools": 5,
    "app": 6,
}
PURE = ("core", "detect", "stories", "alerting")  # no Beam, no network clients


def _subpackages() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def _folders() -> set[str]:
    """Sub-packages and package-data folders (``kibana/``: the saved objects ``newsmon dashboards import`` reads)."""
    return {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in ``path``, lazy ones inside functions included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
    return found


def test_every_subpackage_has_a_layer() -> None:
    assert _subpackages() == set(RANK)


def test_only_the_package_marker_is_loose_at_the_top() -> None:
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py"]


def test_imports_go_down_the_layers() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = path.relative_to(PACKAGE).parts[0]
        if layer not in RANK:
            continue
        for line, module in _imports(path):
            parts = module.split(".")
            if parts[0] == "pipeline" and len(parts) > 1 and parts[1] in RANK and RANK[parts[1]] > RANK[layer]:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {module}")
    assert upward == []


@pytest.mark.parametrize("layer", PURE)
def test_pure_layers_import_no_beam_and_no_clients(layer: str) -> None:
    forbidden = ("apache_beam", "urllib3", "elasticsearch", "opensearchpy", "grpc", "socket", "http.client")
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for line, module in _imports(path)
        if module.split(".")[0] in forbidden or module in forbidden
    ]
    assert offenders == []


def test_the_runtime_never_imports_the_development_tools() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for layer in ("core", "detect", "stories", "alerting", "telemetry", "sources", "sinks", "transforms", "runtime")
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for line, module in _imports(path)
        if module.startswith("pipeline.devtools")
    ]
    assert offenders == []


def test_the_readme_draws_the_tree_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    drawing = readme.split("```\npipeline/\n", 1)[1].split("```", 1)[0]
    drawn = set(re.findall(r"^  ([a-z_]+)/", drawing, re.M))
    assert drawn == _folders()

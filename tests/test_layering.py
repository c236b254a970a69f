"""The blueprints import the shared presentation package (webapp.results) and the engine, never each other.

Design brief section 2: what the blueprints share lives in one neutral package. Imports are read with ``ast``
(relative ones resolved), so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"
BLUEPRINTS = ("api", "core", "labels", "patient", "summaries")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(WEBAPP.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, relative imports made absolute."""
    package = module if is_package else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            out.add(target)
            # `from . import views` names submodules too.
            out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


def owner(module: str) -> str | None:
    """The blueprint package (or "results") a module belongs to, if any."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "webapp" and parts[1] in (*BLUEPRINTS, "results"):
        return parts[1]
    return None


def crossings() -> list[str]:
    out = []
    for package in (*BLUEPRINTS, "results"):
        for path in sorted((WEBAPP / package).rglob("*.py")):
            module = module_name(path)
            for target in imported_modules(path.read_text("utf-8"), module, path.name == "__init__.py"):
                other = owner(target)
                if other and other != package and other != "results":
                    out.append(f"{module} imports {target}")
                if package == "results" and other and other != "results":
                    out.append(f"{module} imports {target}")
    return out


def test_no_blueprint_imports_another_and_results_imports_none() -> None:
    assert crossings() == []


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        ("from ..api.schema import parse_check", "webapp.patient.views", False, "webapp.api.schema"),
        ("from ..patient import answers", "webapp.summaries", True, "webapp.patient.answers"),
        ("def f():\n    from ..api import serialize\n", "webapp.labels.views", False, "webapp.api.serialize"),
        ("import webapp.summaries.store", "webapp.api", True, "webapp.summaries.store"),
        ("from . import views", "webapp.labels", True, "webapp.labels.views"),
    ],
)
def test_imports_are_resolved(source: str, module: str, is_package: bool, expected: str) -> None:
    """The checker sees the imports the rule is about (so the test above can fail)."""
    found = imported_modules(source, module, is_package)
    assert expected in found

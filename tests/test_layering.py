"""The import graph keeps its layers: storage and statistics know nothing of pages, reports or
Streamlit, statistics reads no storage, and the command line needs no page code.

Every import is read from the source (ast), also those inside functions and under TYPE_CHECKING.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("analysis", "data", "report", "services", "surveys", "ui", "views")

# package or module -> top-level names it must never import
FORBIDDEN = {
    "data": {"ui", "report", "views", "streamlit"},
    "analysis": {"ui", "report", "views", "streamlit", "data"},
    "services": {"ui", "views", "streamlit"},
    "texts.py": {"ui", "views", "streamlit", "report", "services"},
    "settings.py": {"ui", "views", "streamlit", "report", "services", "analysis"},
    "cli.py": {"ui", "views", "streamlit"},
}


def _modules() -> list[Path]:
    found = [path for folder in PRODUCT for path in sorted((ROOT / folder).rglob("*.py"))]
    return [*found, *sorted(ROOT.glob("*.py"))]


def imported_roots(path: Path) -> set[str]:
    """The top-level names a module imports (relative imports count as its own package)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                roots.add(path.relative_to(ROOT).parts[0])
            elif node.module:
                roots.add(node.module.split(".")[0])
    return roots


def _rule(path: Path) -> set[str]:
    relative = path.relative_to(ROOT)
    return FORBIDDEN.get(relative.parts[0] if len(relative.parts) > 1 else relative.name, set())


@pytest.mark.parametrize("path", [p for p in _modules() if _rule(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_only_from_the_layers_below(path):
    wrong = imported_roots(path) & _rule(path)
    assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_the_rules_cover_the_tree():
    # a renamed package must not silently escape the rules above
    assert (ROOT / "data").is_dir() and (ROOT / "analysis").is_dir() and (ROOT / "cli.py").is_file()
    assert len([p for p in _modules() if _rule(p)]) > 20


def test_the_parser_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from ui.frame import t\n    import streamlit as st\n", encoding="utf-8")
    assert imported_roots(module) >= {"ui", "streamlit"}

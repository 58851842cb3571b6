"""The domain stays pure: only the standard library and msgspec, checked on the real import graph."""

import ast
import sys
from pathlib import Path

CORE = Path(__file__).parents[2] / "src" / "automl_core"
ALLOWED_THIRD_PARTY = {"msgspec"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_only_stdlib_and_msgspec():
    files = sorted(p for p in CORE.rglob("*.py") if "testing" not in p.parts)
    assert files
    offenders = {
        f"{path.relative_to(CORE)}: {root}"
        for path in files
        for root in imported_roots(path)
        if root not in sys.stdlib_module_names and root not in ALLOWED_THIRD_PARTY and root != "automl_core"
    }
    assert offenders == set()


def test_the_check_would_catch_a_framework_import(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("from litestar import Litestar\nimport sqlalchemy.orm\n")
    assert {"litestar", "sqlalchemy"} <= imported_roots(bad)

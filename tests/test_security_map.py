"""docs/security-tests.md names, for each line of the security bar, the tests that hold it.

This keeps the table honest: every numbered line has at least one test, and every test it names
exists, so renaming or deleting a test without updating the table fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAR_LINES = 31


def _mapping() -> dict[int, list[str]]:
    rows: dict[int, list[str]] = {}
    for line in (ROOT / "docs" / "security-tests.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            rows[int(cells[0])] = re.findall(r"`(tests/[\w/]+\.py::\w+)`", cells[2])
    return rows


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_line_of_the_bar_has_tests() -> None:
    rows = _mapping()
    assert sorted(rows) == list(range(1, BAR_LINES + 1))
    assert all(rows[number] for number in rows), [n for n in rows if not rows[n]]


def test_every_named_test_exists() -> None:
    missing = []
    for number, tests in _mapping().items():
        for reference in tests:
            file, name = reference.split("::")
            if name not in _test_functions(ROOT / file):
                missing.append((number, reference))
    assert not missing

"""docs/security-tests.md names, for each line of the security bar, the tests that hold it.

This keeps the table honest: every numbered line has at least one test (but the ones the table
says are not yet held, named here too), and every test it names exists, so renaming or deleting
a test without updating the table fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAR_LINES = 38
# The bar's lines that no test holds yet, each said so in the table ("not yet held") and in
# SECURITY.md: none now.
NOT_YET_HELD: set[int] = set()


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
    assert {number for number in rows if not rows[number]} == NOT_YET_HELD


def test_a_line_not_yet_held_says_so() -> None:
    said = set()
    for line in (ROOT / "docs" / "security-tests.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit() and cells[2] == "not yet held":
            said.add(int(cells[0]))
    assert said == NOT_YET_HELD


def test_every_named_test_exists() -> None:
    missing = []
    for number, tests in _mapping().items():
        for reference in tests:
            file, name = reference.split("::")
            if name not in _test_functions(ROOT / file):
                missing.append((number, reference))
    assert not missing

"""The README's table of exit codes is the command line's: a code added to app/cli/exits.py
without a row, or a row for a code that is gone, fails here."""

from __future__ import annotations

from pathlib import Path

from app.cli import exits

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_exit_codes() -> list[int]:
    """The codes of the table that follows the README's "| Code | Meaning |" header, in order."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("| Code | Meaning |") + 2  # past the header and its rule
    codes = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        codes.append(int(line.strip("|").split("|")[0]))
    return codes


def test_the_readme_lists_every_exit_code_once_in_order() -> None:
    # Every code a command chooses: the module's constants, but the shell's own (128 and up:
    # Ctrl+C, a closed pipe).
    chosen = {
        value
        for name, value in vars(exits).items()
        if name.isupper() and isinstance(value, int) and value < 128
    }
    assert readme_exit_codes() == sorted(chosen)
    assert {code for _, code in exits.ERROR_CODES} <= chosen

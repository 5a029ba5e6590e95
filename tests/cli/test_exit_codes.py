"""The README's table of exit codes is the command line's: a code added to app/cli/exits.py
without a row, or a row for a code that is gone, fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import exits
from app.core.config import Settings

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


def test_an_unexpected_error_is_one_line_and_its_stack_goes_to_the_log(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug in a command: exit 70, one line naming the error and the log, no traceback on
    the terminal; the log has the stack but never the error's message (it could quote a
    secret)."""
    import logging

    from app.__main__ import configure_logging
    from app.cli import main, table
    from app.cli.parser import build_parser

    canary = "-".join(("secret", "canary"))  # not in the source line the stack quotes

    def broken(*_: object) -> int:
        raise RuntimeError(f"{canary} in a message")

    monkeypatch.setattr(table, "run_command", broken)
    handler = configure_logging(settings.log_path)
    try:
        code = main.run(build_parser().parse_args(["ls"]), settings)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert code == exits.UNEXPECTED == 70
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err == (
        f"strongroom: ls stopped after an unexpected RuntimeError; the details are in "
        f"{settings.log_path}.\n"
    )
    logged = settings.log_path.read_text()
    assert "strongroom ls: unexpected RuntimeError" in logged
    assert "in broken" in logged  # the stack
    assert canary not in logged

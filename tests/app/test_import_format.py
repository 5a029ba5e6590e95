"""A file whose format is not recognised: the app's import dialog points at its own Format
selector (the command line keeps speaking of --format)."""

from __future__ import annotations

from pathlib import Path

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.pilot import seed
from tests.terminal import terminal, write_config
from tests.transfer import import_file

UNKNOWN = "just some words\nand more\n"


def test_the_import_dialog_names_its_own_format_selector(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"))
    write_config(settings)
    unknown = tmp_path / "mystery.txt"
    unknown.write_text(UNKNOWN)
    with terminal(settings, 120, 40) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.palette("Import from another manager")
        term.wait_for("File to import")
        term.type(str(unknown))
        term.keys("Enter")
        term.wait_for("format under Format above")
        screen = term.screen()
        assert "--format" not in screen
        assert "--help" not in screen


def test_the_command_line_still_names_its_option(sqlite_settings: Settings, tmp_path: Path) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    unknown = tmp_path / "mystery.txt"
    unknown.write_text(UNKNOWN)
    done = import_file(sqlite_settings, str(unknown))
    assert done.returncode != 0
    assert "Give --format" in done.stderr

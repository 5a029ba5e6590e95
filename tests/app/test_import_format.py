"""A file whose format is not recognised: the app's import dialog points at its own Format
selector (the command line keeps speaking of --format)."""

from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_format_list_fits_on_the_screen(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    """Opened, the Format list leaves the footer in view, and every format in it can be
    reached (the list scrolls)."""
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.palette("Import from another manager")
        term.wait_for("File to import")
        term.keys("Tab", "Enter")  # to Format, and open its list
        term.wait_for("Bitwarden CSV")
        term.keys("End")  # the last format
        term.wait_for("pass password store")
        footer = term.screen().splitlines()[-1]
        assert "palette" in footer, term.screen()
        term.keys("Home")
        term.wait_for("Bitwarden JSON")
        assert "palette" in term.screen().splitlines()[-1], term.screen()
        term.keys("Enter")  # chosen, and the list closes
        term.wait_until(lambda: "Bitwarden CSV" not in term.screen(), "the list closed")

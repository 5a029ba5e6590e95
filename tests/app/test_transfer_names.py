"""File names in the import and export dialogs are drawn as the characters they are: a file
called ``[@click=app.quit]Team.kdbx`` shows that whole name, and clicking it does nothing. The
export dialog says what a CSV risks, and refuses to write the vault to a terminal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import Select

from app.core.config import Settings
from app.core.items import ItemDraft
from app.screens.confirm import ConfirmScreen
from app.screens.transfer import ExportScreen, ImportScreen
from tests.helpers import STRONG_PASSWORD
from tests.pilot import drawn, seed, settle, type_into, vault_app
from tests.terminal import Terminal, terminal, write_config

HOSTILE_NAME = "[@click=app.quit]Team.kdbx"
KDBX_MAGIC = b"\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5" + bytes(64)


def hostile_kdbx(folder: Path) -> Path:
    path = folder / HOSTILE_NAME
    path.write_bytes(KDBX_MAGIC)
    return path


async def test_a_file_name_with_markup_is_shown_whole_and_clicking_it_does_nothing(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    path = hostile_kdbx(tmp_path)
    async with vault_app(sqlite_settings) as (app, pilot):
        app.show_import()
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ImportScreen)
        await type_into(pilot, "#path", str(path))
        await pilot.press("enter")
        await settle(pilot)
        label = form.query_one("#password-label")
        shown = drawn(label)
        assert f"database {HOSTILE_NAME}:" in "".join(shown.split("\n")), shown
        # Where the words "Team.kdbx" are drawn: a link there would quit the app.
        line, column = next(
            (number, text.index("Team.kdbx"))
            for number, text in enumerate(shown.splitlines())
            if "Team.kdbx" in text
        )
        await pilot.click(label, offset=(column + 2, line))
        await settle(pilot)
        assert app.is_running
        assert app.screen is form


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_a_file_name_with_markup_in_the_terminal(
    sqlite_settings: Settings, tmp_path: Path, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"))
    write_config(settings)
    path = hostile_kdbx(tmp_path)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.palette("Import from another manager")
        term.wait_for("File to import")
        term.type(str(path))
        term.keys("Enter")
        term.wait_for("enter its password")
        # The password's label names the file (the path typed above it holds the name too).
        label = f"database{HOSTILE_NAME}:"
        term.wait_until(lambda: label in "".join(term.screen().split()), label)
        click(term, "Team.kdbx:")
        term.keys("Escape")  # the dialog closes, after the click: had it quit, nothing would
        term.wait_until(
            lambda: "File to import" not in term.screen() and "1 item" in term.screen(),
            "the dialog closed over the vault",
        )
        assert "STRONGROOM-EXITED" not in term.screen()


def click(term: Terminal, text: str) -> None:
    """A mouse click (press and release, as the terminal reports them) on ``text``."""
    row, column = next(
        (number, line.index(text))
        for number, line in enumerate(term.screen().splitlines())
        if text in line
    )
    x, y = column + 3, row + 1  # 1-based, on the third character
    term.type(f"\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_export_dialog_says_a_csv_is_a_risk_in_a_spreadsheet(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.palette("Export the vault")
        term.wait_for("Save to")
        term.keys("Enter")  # the format list, opened
        term.wait_for("KeePassXC CSV")
        term.keys("Down", "Down", "Down", "Enter")
        term.wait_for(".csv")
        squeezed = "".join(term.screen().split())
        assert "spreadsheetcanrunavalueasaformula" in squeezed, term.screen()
        assert "KeePassXMListhesafechoice" in squeezed, term.screen()


async def test_the_dialog_never_writes_the_vault_to_a_terminal(
    sqlite_settings: Settings,
) -> None:
    seed(sqlite_settings, ItemDraft("Bank", password="bank-pw"))
    controller, device = os.openpty()
    try:
        async with vault_app(sqlite_settings) as (app, pilot):
            app.show_export()
            await settle(pilot)
            form = app.screen
            assert isinstance(form, ExportScreen)
            form.query_one("#format", Select).value = "keepass-xml"
            await settle(pilot)
            await type_into(pilot, "#path", os.ttyname(device))
            await type_into(pilot, "#password", STRONG_PASSWORD)
            await pilot.press("enter")
            await settle(pilot)
            assert not isinstance(app.screen, ConfirmScreen)  # not a file to "replace"
            assert app.screen is form
            error = drawn(form.query_one("#error"))
            assert "terminal or another device" in " ".join(error.split()), error
        os.set_blocking(controller, False)
        with pytest.raises(BlockingIOError):
            os.read(controller, 4096)  # nothing reached the terminal
    finally:
        os.close(device)
        os.close(controller)


async def test_export_names_with_markup_are_shown_whole_in_questions_and_errors(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    existing = tmp_path / "[@click=app.quit]Team.xml"
    existing.write_text("kept")
    nowhere = tmp_path / "[b]missing[/b]" / "vault.xml"
    async with vault_app(sqlite_settings) as (app, pilot):
        app.show_export()
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ExportScreen)
        form.query_one("#format", Select).value = "keepass-xml"
        await settle(pilot)
        await type_into(pilot, "#path", str(existing))
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmScreen)
        shown = "".join(drawn(question.query_one("#question")).split())
        assert "[@click=app.quit]Team.xmlexists.Replaceit?" in shown, shown
        lines = drawn(question.query_one("#question")).splitlines()
        line, column = next(
            (number, text.index("Team.xml")) for number, text in enumerate(lines) if "Team" in text
        )
        await pilot.click(question.query_one("#question"), offset=(column + 2, line))
        await settle(pilot)
        assert app.is_running
        await pilot.press("n")
        await settle(pilot)
        assert existing.read_text() == "kept"
        await type_into(pilot, "#path", str(nowhere))
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        error = "".join(drawn(form.query_one("#error")).split())
        assert "[b]missing[/b]/vault.xmlcannotbewritten" in error, error

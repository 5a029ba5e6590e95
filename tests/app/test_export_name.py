"""The export dialog's file name follows the chosen format (.json, .xml, .csv): the name it
offers, and the extension of a name the person typed when that is another format's (as
KeePassXC's and Bitwarden's dialogs do); any other name is kept as typed."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from app.core.config import Settings
from app.core.items import ItemDraft
from app.screens.transfer import ExportScreen
from tests.pilot import seed, settle, type_into, vault_app
from tests.terminal import terminal, write_config


def test_the_file_name_follows_the_format_chosen(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"))
    write_config(settings)
    with terminal(settings, 120, 40) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.palette("Export the vault")
        term.wait_for("Save to")
        term.wait_for(".json")
        term.keys("Enter")  # the format list, opened
        term.wait_for("KeePassXC CSV")
        term.keys("Down", "Down", "Enter")
        term.wait_for(".xml")
        assert ".json" not in term.screen()
        term.keys("Enter")
        term.wait_for("KeePassXC CSV")
        term.keys("Down", "Enter")
        term.wait_for(".csv")
        assert ".xml" not in term.screen()


async def test_a_name_of_ones_own_is_kept_whatever_the_format(sqlite_settings: Settings) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    async with vault_app(sqlite_settings) as (app, pilot):
        app.show_export()
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ExportScreen)
        form.query_one("#format", Select).value = "keepassxc-csv"
        await settle(pilot)
        assert form.query_one("#path", Input).value.endswith(".csv")
        await type_into(pilot, "#path", "~/my-vault.txt")
        form.query_one("#format", Select).value = "keepass-xml"
        await settle(pilot)
        assert form.query_one("#path", Input).value == "~/my-vault.txt"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_a_typed_name_takes_the_extension_of_the_format_chosen(
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
        term.keys("Tab", "Tab", "Tab")  # the file's password, again, then Save to
        term.keys("C-a", "C-k")  # the name offered, gone
        term.type("~/backup.json")
        term.wait_for("~/backup.json")
        term.keys("BTab", "BTab", "BTab")  # back to the format
        term.keys("Enter")  # the format list, opened
        term.wait_for("KeePassXC CSV")
        term.keys("Down", "Down", "Enter")
        term.wait_for("~/backup.xml")
        assert "backup.json" not in term.screen()
        term.keys("Enter")
        term.wait_for("KeePassXC CSV")
        term.keys("Down", "Enter")
        term.wait_for("~/backup.csv")
        assert "backup.xml" not in term.screen()


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("~/vault-backup.JSON", "~/vault-backup.xml"),  # whatever the case it was typed in
        ("~/backups/2026.12.csv", "~/backups/2026.12.xml"),
        ("~/backup", "~/backup"),  # none added: a name without one is the person's choice
        ("~/backup.json.gpg", "~/backup.json.gpg"),
        ("~/exports.json/", "~/exports.json/"),  # a folder, not a file's extension
    ],
)
async def test_only_a_known_extension_is_swapped(
    sqlite_settings: Settings, typed: str, kept: str
) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    async with vault_app(sqlite_settings) as (app, pilot):
        app.show_export()
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ExportScreen)
        await type_into(pilot, "#path", typed)
        form.query_one("#format", Select).value = "keepass-xml"
        await settle(pilot)
        assert form.query_one("#path", Input).value == kept

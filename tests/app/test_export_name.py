"""The export dialog's file name follows the chosen format (.json, .xml, .csv) until the
person types a name of their own."""

from __future__ import annotations

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

"""Ctrl+L locks from every screen of the open vault, the item form included (what was typed
comes back on unlock); the footer and the help page say plainly that Ctrl+C copies the
password."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import terminal, write_config


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_ctrl_l_locks_inside_the_item_form_and_the_edit_comes_back(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", username="alice", password="bank-secret"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("Enter")
        term.wait_for("Edit item")
        # To the notes (Tab is taken in order once the form is up; a text area selects nothing
        # on focus, so what is typed is added whatever the timing).
        term.keys("Tab", "Tab", "Tab", "Tab", "Tab")
        term.type("typed before the lock")
        term.wait_for("typed before the lock")
        term.keys("C-l")
        term.wait_for("Vault locked for alice")
        term.wait_for("Your unsaved edit comes")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("Your unsaved edit is back")
        term.wait_for("typed before the lock")

        # And from a dialog over the vault (the command palette's export dialog).
        term.keys("Escape")
        term.wait_for("Discard what you typed?")
        term.keys("C-d")
        term.wait_for("1 item in your vault")
        term.palette("Export the vault")
        term.wait_for("Save to")
        term.keys("C-l")
        term.wait_for("Vault locked for alice")


def test_the_footer_and_the_help_page_say_ctrl_c_copies_the_password(
    sqlite_settings: Settings,
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"))
    write_config(settings)
    with terminal(settings, 80, 24) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.wait_for("^c Copy password")
        term.keys("?")
        term.wait_for("Strongroom keys")
        term.wait_for("copy the password (it does not")

"""At 80x24, the default terminal: every error is on the screen where the person is looking,
and every screen's buttons are in view. Read from the real terminal (tmux), not from widgets.

Each check types into the installed ``strongroom`` the way a person would, then reads the
visible screen (``capture-pane`` without scrollback).
"""

from __future__ import annotations

import re

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import Terminal, terminal, write_config

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((200, 50), id="200x50")]


def in_view(term: Terminal, *texts: str) -> str:
    """Wait until every text is on the visible screen; return the screen."""
    for text in texts:
        term.wait_for(text)
    return term.screen()


def gone(term: Terminal, text: str) -> None:
    """Wait until ``text`` has left the screen (after Esc: a terminal cannot tell Esc from the
    start of the next key's escape sequence if that key follows at once)."""
    term.wait_until(lambda: text not in term.screen(), f"{text!r} gone")


def footer_of(screen: str) -> str:
    """The footer: the last line with anything on it."""
    return [line for line in screen.splitlines() if line.strip()][-1]


@pytest.mark.parametrize("size", SIZES)
def test_errors_are_on_screen_in_every_form(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", username="alice", password="bank-secret"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        in_view(term, "1 item in your vault", "Log out")

        # The item form: opened at its heading; saved without a title, the message and the
        # buttons are in view.
        term.keys("C-n")
        in_view(term, "New item", "Title", "Save")
        term.keys("Tab")
        term.type("bob")
        term.keys("C-s")
        in_view(term, "Please give the item a title.", "New item", "Save", "Cancel")
        term.keys("Escape")
        in_view(term, "Discard what you typed?")
        term.keys("C-d")
        gone(term, "New item")

        # The generator: a length it cannot make says so, and its buttons stay in view.
        term.keys("C-g")
        in_view(term, "Password generator", "Copy", "Cancel")
        # From Copy back past the five character options to the length, which becomes 5.
        term.keys("BTab", "BTab", "BTab", "BTab", "BTab", "BTab", "End", "C-u")
        term.type("5")
        in_view(term, "Length must be between 8 and 128.", "Copy", "Cancel")
        term.keys("Escape")
        gone(term, "Password generator")

        # Change master password: a too-short new password names the field, in view.
        term.palette("Change master password")
        in_view(term, "Change master password", "Current password:")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.type("short")
        term.keys("Enter")
        term.type("short")
        term.keys("Enter")
        in_view(term, "The new password", "Change password", "Cancel")
        term.keys("Escape")
        gone(term, "Current password:")

        # Lock, then a wrong password: the error is on the unlock screen.
        term.keys("C-l")
        in_view(term, "Vault locked for alice", "Unlock")
        term.type("not the password")
        term.keys("Enter")
        in_view(term, "Wrong password.", "Unlock", "Log out")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        in_view(term, "1 item in your vault")

        # Log out with the keyboard: Tab reaches the button, Space presses it; then a wrong
        # password on the login form.
        term.keys("C-o")
        in_view(term, "Log in to your vault", "You are logged out")
        term.type("not the password")
        term.keys("Enter")
        in_view(term, "Wrong username or password.", "Log in", "Create account")


@pytest.mark.parametrize("size", SIZES)
def test_registration_errors_and_the_new_login_are_on_screen(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings  # what the terminal shows is the same on MariaDB
    seed(settings, remember=False)  # alice exists
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        in_view(term, "Log in to your vault")
        term.keys("C-n")
        in_view(term, "Create your account", "Please enter a username:", "Create account")
        term.type("alice")
        term.keys("Tab")
        term.type(STRONG_PASSWORD)
        term.keys("Tab")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        screen = in_view(term, "is already taken", "Create account")
        assert "Please enter a username:" in screen
        # The cursor is back in the name and the passwords were kept: a new name and Enter.
        term.keys("End", "C-u")
        in_view(term, "3-32 letters")  # emptied: the placeholder shows
        term.type("bob")
        term.keys("Enter")
        screen = in_view(term, "Account bob created", "Log in")
        # The new name is in its field (its edge is drawn thinner in a small terminal).
        assert re.search(r"[▌▊] +bob ", screen), screen
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        in_view(term, "Welcome, bob!", "No items yet: Ctrl+N adds, Ctrl+P imports.")


@pytest.mark.parametrize("size", SIZES)
def test_the_vault_footer_keeps_what_matters_and_the_trash_is_its_own_place(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), ItemDraft("Mail"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        footer = footer_of(in_view(term, "2 items in your vault", "^q Quit"))
        for key in ("Copy pass", "Add", "Search", "Lock", "Help", "Quit"):
            assert key in footer, footer
        term.keys("d")
        in_view(term, "Move 'Bank' to the trash?")
        term.keys("C-d")
        in_view(term, "Moved 'Bank' to the trash", "1 item in your vault")
        term.keys("t")
        footer = footer_of(in_view(term, "in the trash", "Trash", "u Restore"))
        assert "Restore" in footer, footer
        assert "Add" not in footer, footer
        term.keys("u")
        in_view(term, "Restored 'Bank' to the vault.", "The trash is empty.")

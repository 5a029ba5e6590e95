"""Keys typed at once after a key that puts up another screen (Ctrl+N, Ctrl+S, Esc) wait for it:
they are applied, in order, where that screen puts the cursor once it is ready. And a paste
keeps its order, and says so when a one-line field cannot take all of it.

Each burst goes to the installed ``strongroom`` in one tmux command, so the app reads it all at
once, as it reads a paste, auto-type or a lagged SSH link; the checks read the terminal.
"""

from __future__ import annotations

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.app.test_key_bursts import SIZES, burst, item_count
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import Terminal, terminal, write_config


def paste(term: Terminal, text: str) -> None:
    """Paste ``text`` as a terminal does: bracketed, since the app asks for that."""
    term.tmux("set-buffer", "-b", "paste", text)
    term.tmux("paste-buffer", "-p", "-d", "-b", "paste", "-t", "t")


@pytest.mark.parametrize("size", SIZES)
def test_text_typed_at_once_after_ctrl_n_is_the_new_items_title(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        burst(term, ("C-n",), "GitHub", ("Tab",), "octocat")
        term.wait_for("New item")
        term.wait_for("octocat")
        term.keys("C-s")
        term.wait_for("Saved 'GitHub'")
        term.wait_for("2 items in your vault")  # the search box was left empty
        assert "octocat" in term.screen()  # the new item, selected: its username
    assert item_count(settings) == 2


@pytest.mark.parametrize("size", SIZES)
def test_text_typed_at_once_after_ctrl_s_is_a_search_of_the_list_the_save_goes_back_to(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    """After a save the list has the cursor (as in KeePassXC); letters typed there are a search,
    so the letters typed at once after Ctrl+S are one too, never lost with the closed form."""
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), ItemDraft("Mail"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("2 items in your vault")
        term.keys("C-n")
        term.wait_for("New item")
        term.type("GitHub")
        term.wait_for("GitHub")
        burst(term, ("C-s",), "mail")
        term.wait_for("Saved 'GitHub'")
        term.wait_for("1 of 3 items")
        screen = term.screen()
        assert "mail" in screen  # in the search box
        assert "New item" not in screen
    assert item_count(settings) == 3


@pytest.mark.parametrize("size", SIZES)
def test_a_password_typed_at_once_after_back_to_log_in_goes_in_the_masked_password(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    # Longer than 32 characters, and a digit first (Esc with a digit read as a symbol).
    typed = "1-habit-typed-master-password-xyz"
    settings = sqlite_settings
    seed(settings, remember=False)
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("Log in to your vault")
        term.keys("C-n")
        term.wait_for("Create your account")
        burst(term, ("Escape",), typed)
        term.wait_for("Log in to your vault")
        term.wait_for("•" * len(typed))
        screen = term.screen()
        assert "habit" not in screen
        assert "alice" in screen  # the last username, left as it was


@pytest.mark.parametrize("size", SIZES)
def test_a_password_and_enter_typed_at_once_after_back_to_log_in_log_in(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), remember=False)
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("Log in to your vault")
        term.keys("C-n")
        term.wait_for("Create your account")
        burst(term, ("Escape",), STRONG_PASSWORD, ("Enter",))
        term.wait_for("Welcome, alice!")
        assert STRONG_PASSWORD not in term.scrollback()


@pytest.mark.parametrize("size", SIZES)
def test_a_multi_line_paste_in_a_one_line_field_says_the_rest_was_not_pasted(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("C-n")
        term.wait_for("New item")
        paste(term, "first-line\nsecond-line\nthird-line")
        term.wait_for("first-line")
        term.wait_for("2 more lines not pasted")
        assert "second-line" not in term.screen()


@pytest.mark.parametrize("size", SIZES)
def test_a_password_pasted_with_its_trailing_newline_is_pasted_without_a_notice(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), remember=False)
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("Please enter your password:")
        paste(term, STRONG_PASSWORD + "\n")
        term.wait_for("•" * len(STRONG_PASSWORD))
        assert "not pasted" not in term.screen()
        term.keys("Enter")
        term.wait_for("Welcome, alice!")


@pytest.mark.parametrize("size", SIZES)
def test_a_paste_with_an_escape_byte_keeps_its_order_without_the_escape(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("C-n")
        term.wait_for("New item")
        term.type("A")
        term.wait_for("A")
        paste(term, "BC\x1bDE")
        term.type("F")
        term.wait_for("ABCDEF")
        assert "^DE" not in term.screen()  # the ESC was never a key of its own


@pytest.mark.parametrize("size", SIZES)
def test_text_typed_at_once_after_enter_on_log_in_and_unlock_searches_the_vault_it_opens(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    """The form is busy while the password is checked: the keys wait for the vault, whose list
    has the cursor, and are a search there; never part of the password, never lost."""
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), ItemDraft("Dry cleaning"), remember=False)
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("Please enter your password:")
        burst(term, STRONG_PASSWORD, ("Enter",), "dry")
        term.wait_for("Welcome, alice!")
        term.wait_for("1 of 2 items")
        assert "dry" in term.screen()  # in the search box
        term.keys("Escape")  # the search cleared, back in the list
        term.wait_for("2 items in your vault")
        term.keys("C-l")
        term.wait_for("Vault locked for alice")
        burst(term, STRONG_PASSWORD, ("Enter",), "bank")
        term.wait_for("1 of 2 items")
        assert "bank" in term.screen()
    log = settings.security_log_path.read_text()
    assert "login_failed" not in log
    assert "unlock_failed" not in log

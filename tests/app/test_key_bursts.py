"""Keys that arrive together (a paste, auto-type, a lagged SSH link) do what the same keys typed
one by one do: each is applied in the order typed, in the field it was typed into.

Each burst goes to the installed ``strongroom`` in one tmux command, so that the app reads it
all at once, as it reads a paste or an auto-typed sequence; the checks read the terminal.

Text typed where no text goes (the item list, a button) is not a row of commands: on the list it
is a search, on a button a notice says where the cursor is; and no letter confirms a deletion.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from app.services.tokens import LastUsername
from tests.helpers import STRONG_PASSWORD, rows
from tests.pilot import seed
from tests.terminal import Terminal, terminal, write_config

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def burst(term: Terminal, *parts: str | tuple[str, ...]) -> None:
    """Send every part in one tmux command: a string as the text it is, a tuple as key names."""
    args: list[str] = []
    for part in parts:
        if args:
            args.append(";")
        if isinstance(part, str):
            args += ["send-keys", "-t", "t", "-l", part]
        else:
            args += ["send-keys", "-t", "t", *part]
    term.tmux(*args)


@pytest.mark.parametrize("size", SIZES)
def test_a_burst_on_the_login_form_fixes_the_name_and_logs_in(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), remember=False)
    LastUsername(settings.last_username_path).save("mallory")  # the form offers a wrong name
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("mallory")  # the cursor waits in the password
        # Back to the name, empty it, the right one, the password, Enter: all at once.
        burst(term, ("BTab", "C-u"), "alice", ("Tab",), STRONG_PASSWORD, ("Enter",))
        term.wait_for("Welcome, alice!")


@pytest.mark.parametrize("size", SIZES)
def test_a_burst_in_the_item_form_keeps_the_title_typed(
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
        term.type("placeholder")
        term.keys("Tab")
        term.type("someone")
        term.wait_for("someone")
        # From the username: back to the title, empty it, the real title, then the same in
        # the username, and save; all at once.
        burst(term, ("BTab", "C-u"), "GitHub", ("Tab", "C-u"), "octocat", ("C-s",))
        term.wait_for("2 items in your vault")
        term.wait_for("octocat")  # the new item, selected: its username in the detail pane
        screen = term.screen()
        assert "GitHub" in screen
        assert "placeholder" not in screen
        assert "someone" not in screen
        assert "Please give the item a title." not in screen


@pytest.mark.parametrize("size", SIZES)
def test_a_burst_in_the_export_dialog_keeps_the_path_typed(
    sqlite_settings: Settings, size: tuple[int, int], tmp_path: Path
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", password="bank-secret"))
    write_config(settings)
    target = tmp_path / "burst-export.json"
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.palette("Export the vault")
        term.wait_for("Save to")
        # The format, then the file's password twice; the cursor ends in the master password.
        term.keys("Tab")
        term.type("file password 1234")
        term.keys("Tab")
        term.type("file password 1234")
        term.keys("Tab", "Tab")
        # Back to the path, empty it, the path wanted, the master password, Enter: at once.
        burst(term, ("BTab", "C-u"), str(target), ("Tab",), STRONG_PASSWORD, ("Enter",))
        term.wait_for("Exported 1 items")
        assert target.exists()


# -- text typed where no text goes ---------------------------------------------------------------


def trashed(settings: Settings) -> list[object]:
    """The ids of the items in the trash, read from the database itself."""
    return [row[0] for row in rows(settings, "SELECT id FROM items WHERE deleted_at IS NOT NULL")]


def item_count(settings: Settings) -> int:
    [(count,)] = rows(settings, "SELECT COUNT(*) FROM items")
    assert isinstance(count, int)
    return count


@pytest.mark.parametrize("size", SIZES)
def test_dry_typed_fast_on_the_list_is_a_search_and_trashes_nothing(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    """d asks to trash the selected item and y said yes: typed as a word (or pasted, or
    auto-typed into the wrong window), the letters are a search instead."""
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), ItemDraft("Dry cleaning"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("2 items in your vault")
        term.type("dry")  # one burst: the terminal reads it at once
        term.wait_for("1 of 2 items")
        screen = term.screen()
        assert "to the trash?" not in screen
        assert "dry" in screen  # in the search box
        # The search box has the cursor now: more letters go on the search.
        term.type(" c")
        term.wait_for("dry c")
    assert trashed(settings) == []
    assert item_count(settings) == 2


@pytest.mark.parametrize("size", SIZES)
def test_the_trash_question_takes_ctrl_d_or_enter_on_delete_and_no_letter(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), ItemDraft("Mail"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("2 items in your vault")
        term.keys("d")
        term.wait_for("Move 'Bank' to the trash?")
        term.wait_for("Ctrl+D: Delete")  # the key that says yes, on the dialog
        term.keys("y")
        # The y was read, and only said where the cursor is; the question stays.
        term.wait_for("Cancel button")
        assert "Move 'Bank' to the trash?" in term.screen()
        assert trashed(settings) == []
        term.keys("Enter")  # the cursor starts on Cancel
        term.wait_until(lambda: "to the trash?" not in term.screen(), "the question gone")
        assert trashed(settings) == []

        term.keys("d")
        term.wait_for("Move 'Bank' to the trash?")
        term.keys("C-d")
        term.wait_for("Moved 'Bank' to the trash")
        assert len(trashed(settings)) == 1

        term.keys("t")
        term.wait_for("in the trash")
        term.keys("Delete")
        term.wait_for("for good?")
        term.keys("BTab", "Enter")  # from Cancel back to Delete, and press it
        term.wait_for("The trash is empty")
    assert trashed(settings) == []
    assert item_count(settings) == 1


@pytest.mark.parametrize("size", SIZES)
def test_a_passphrase_typed_on_the_generate_button_does_not_press_it(
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
        term.type("Mail")
        term.wait_for("Mail")
        term.keys("Tab", "Tab", "Tab")  # username, password, the Generate button
        term.type("correct horse battery staple")
        term.wait_for("Generate button")  # the notice: where the cursor is
        assert "Password generator" not in term.screen()
        # A word at a time: its spaces are text too, not presses.
        for part in ("correct", " ", "horse", " ", "battery"):
            term.type(part)
        term.keys("BTab", "BTab")  # to the username: proves every key before was read
        term.type("after-the-words")
        term.wait_for("after-the-words")
        assert "Password generator" not in term.screen()
        # A deliberate Space on the button presses it.
        term.keys("Tab", "Tab", "Space")
        term.wait_for("Password generator")


@pytest.mark.parametrize("size", SIZES)
def test_keys_typed_right_after_enter_are_not_part_of_the_password_sent(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    """Enter submits what the field held at Enter: a key typed at once after it (a habit, a
    lagged link) is applied after the submission, never appended to the master password."""
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), remember=False)
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("Please enter your password:")
        burst(term, STRONG_PASSWORD, ("Enter",), "x")
        term.wait_for("Welcome, alice!")
        term.keys("C-l")
        term.wait_for("Vault locked for alice")
        burst(term, STRONG_PASSWORD, ("Enter",), "dry")
        term.wait_for("1 item in your vault")
        assert "Wrong" not in term.screen()
    log = settings.security_log_path.read_text()
    assert "login_failed" not in log
    assert "unlock_failed" not in log


@pytest.mark.parametrize("size", SIZES)
def test_space_never_presses_a_button_that_deletes(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), ItemDraft("Mail"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("2 items in your vault")
        term.keys("d")
        term.wait_for("Move 'Bank' to the trash?")
        term.keys("BTab")  # from Cancel to Delete
        term.keys("Space")
        term.wait_for("Delete: press Enter, not Space")
        assert "Move 'Bank' to the trash?" in term.screen()
        assert trashed(settings) == []
        term.keys("Enter")
        term.wait_for("Moved 'Bank' to the trash")
        term.keys("t")
        term.wait_for("in the trash")
        term.keys("Delete")
        term.wait_for("for good?")
        term.keys("BTab", "Space")
        term.wait_for("press Enter, not Space")
        assert "for good?" in term.screen()
        assert len(trashed(settings)) == 1

"""Keys that arrive together (a paste, auto-type, a lagged SSH link) do what the same keys typed
one by one do: each is applied in the order typed, in the field it was typed into.

Each burst goes to the installed ``strongroom`` in one tmux command, so that the app reads it
all at once, as it reads a paste or an auto-typed sequence; the checks read the terminal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from app.services.tokens import LastUsername
from tests.helpers import STRONG_PASSWORD
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

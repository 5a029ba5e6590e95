"""A terminal made smaller keeps the focused field in view: the form scrolls to it, and the
buttons docked below never cover it. Read from the real terminal (tmux)."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from tests.pilot import seed
from tests.terminal import terminal, write_config


def _redrawn(screen: str, height: int, *shown: str) -> bool:
    """The app has drawn itself at the new size (its footer is the last line: until then,
    tmux only crops the frame drawn for the old size), showing each of ``shown``."""
    lines = screen.splitlines()
    drawn = len(lines) == height and "esc Cancel" in lines[-1]
    return drawn and all(text in screen for text in shown)


# The focused field near the bottom of a form that scrolls, then a smaller terminal.
RESIZES = [
    pytest.param((120, 40), (80, 24), id="120x40-to-80x24"),
    pytest.param((200, 50), (120, 40), id="200x50-to-120x40"),
]


@pytest.mark.parametrize(("start", "end"), RESIZES)
def test_the_focused_item_field_stays_in_view_when_the_terminal_shrinks(
    sqlite_settings: Settings, start: tuple[int, int], end: tuple[int, int]
) -> None:
    settings = sqlite_settings
    fields = tuple(CustomField(f"name{n}", f"value{n}") for n in range(1, 9))
    seed(settings, ItemDraft("Bank", fields=fields))
    write_config(settings)
    with terminal(settings, *start) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("Enter")
        term.wait_for("Edit item")
        # Title, then: username, password, Generate, URLs, notes, tags, TOTP; each field's
        # name, value, Secret and ✕; the last field's name, then its value.
        term.keys(*["Tab"] * (7 + 4 * 7 + 2))
        # A field reached by Tab has its text selected, so typing replaces it: the field reads
        # value8+typed whether its text was selected or not, with no End key to race.
        term.settled()
        term.type("value8+typed")
        term.wait_for("value8+typed")
        term.resize(*end)
        term.wait_until(
            lambda: _redrawn(term.screen(), end[1], "value8+typed", "Save"),
            "the form redrawn at the new size with the focused field and the buttons in view",
        )

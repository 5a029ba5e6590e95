"""A custom field with a long name leaves its value readable in the detail pane: the name is
cut short (…) and the value keeps most of the pane's width. Read from the real terminal."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from tests.pilot import seed
from tests.terminal import terminal, write_config

LONG_NAME = "Recovery question for the branch office downtown"


@pytest.mark.parametrize(
    ("size", "value"),
    [
        # Each value as wide as two thirds of the detail pane at that size leave it.
        pytest.param((80, 24), "Value-17-cells-ok", id="80x24"),
        pytest.param((120, 40), "Value-exactly-28-cells-wide!", id="120x40"),
    ],
)
def test_a_long_field_name_leaves_its_value_whole_on_one_line(
    sqlite_settings: Settings, size: tuple[int, int], value: str
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", fields=(CustomField(LONG_NAME, value),)))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("Down")  # the item, selected: its detail shown
        term.wait_for("Recovery")
        term.wait_for(value)  # whole, on one line: not folded for a name too wide
        screen = term.screen()
        [line] = [line for line in screen.splitlines() if "Recovery" in line]
        assert "…" in line  # the name, cut short
        assert LONG_NAME not in screen

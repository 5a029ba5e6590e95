"""Help says what Enter does in the item form, and the form does that: Enter in a field moves
to the next one and saves nothing (Ctrl+S saves). Read from the real terminal (tmux)."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from app.screens.keys import help_rows
from app.services.backend import Backend
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import terminal, write_config


def test_help_has_the_item_forms_enter() -> None:
    [does] = [does for where, key, does in help_rows() if (where, key) == ("Item form", "Enter")]
    assert does.startswith("next field (it does not save: Ctrl+S does)")
    [forms] = [does for where, key, does in help_rows() if (where, key) == ("Forms", "Enter")]
    assert forms != "submit"  # not every form: the item form and most dialogs move on


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_enter_in_the_item_form_does_what_help_says(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings)
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("No items yet")
        term.keys("?")
        term.wait_for("Strongroom keys")
        # Down the page to the item form's keys. Every frame read on the way counts (under
        # load a frame is read mid-scroll); a page is read again only once it stays still.
        frames: list[str] = []

        def read() -> str:
            frames.append(term.screen())
            return frames[-1]

        for _ in range(12):
            shown = term.settled()
            if any("Ctrl+S does" in frame for frame in [shown, *frames]):
                break
            term.keys("NPage")
            term.wait_until(lambda shown=shown: read() != shown, "the help scrolled")
        assert any("Ctrl+S does" in frame for frame in [*frames, term.screen()])
        term.keys("Escape")
        term.wait_until(lambda: "Ctrl+S does" not in term.screen(), "help closed")
        term.keys("C-n")
        term.wait_for("New item")
        term.type("Title-t1")
        term.wait_for("Title-t1")
        term.keys("Enter")
        term.type("User-u1")
        term.wait_for("User-u1")
        term.keys("Enter")
        term.wait_for("New item")  # still open: Enter saved nothing
        assert "1 item in your vault" not in term.screen()
        term.keys("C-s")
        term.wait_for("1 item in your vault")

    backend = Backend(settings, device_label="check")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    [item] = backend.vault().list_items(active)
    assert (item.title, item.username) == ("Title-t1", "User-u1")
    backend.close()

"""Tab in the item form goes through every field in reading order, then to the buttons, and the
field it reaches is always in view (the buttons below never cover it). Each field gets its own
text as Tab reaches it; what is saved shows where each text landed."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from app.services.backend import Backend
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import Terminal, terminal, write_config


def _type_in_view(term: Terminal, text: str) -> None:
    """Type into the focused field; the text must show on the visible screen."""
    term.type(text)
    term.wait_for(text)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_tab_goes_through_the_item_form_in_reading_order(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings)
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("No items yet")
        term.keys("C-n")
        term.wait_for("New item")
        _type_in_view(term, "title-t1")
        term.keys("Tab")
        _type_in_view(term, "user-u1")
        term.keys("Tab")
        term.type("pass-p1")
        term.wait_for("•••••••")
        term.keys("Tab", "Tab")  # past Generate, to the URLs
        _type_in_view(term, "https://url.example")
        term.keys("Tab")
        _type_in_view(term, "note-n1")
        term.keys("Tab")
        _type_in_view(term, "tag-g1")
        term.keys("Tab")
        _type_in_view(term, "JBSWY3DPEHPK3PXP")
        term.keys("Tab")  # Add field
        term.keys("Enter")  # a new row; its name has the cursor
        term.wait_for("Value")  # (mounted: keys typed before would go to the button)
        _type_in_view(term, "name-f1")
        term.keys("Tab")
        _type_in_view(term, "value-v1")
        term.keys("Tab", "Tab", "Tab", "Tab")  # Secret, remove, Add field, Favourite
        term.keys("Enter")  # Favourite ticked
        term.wait_for("Favourite")
        term.keys("Tab")  # Save, only now
        term.keys("Enter")
        term.wait_for("1 item in your vault")

    backend = Backend(settings, device_label="check")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    [item] = backend.vault().list_items(active)
    assert item.title == "title-t1"
    assert item.username == "user-u1"
    assert item.password == "pass-p1"
    assert item.urls == ("https://url.example",)
    assert item.notes == "note-n1"
    assert item.tags == ("tag-g1",)
    assert item.totp == "JBSWY3DPEHPK3PXP"
    assert item.fields == (CustomField("name-f1", "value-v1"),)
    assert item.favourite
    backend.close()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_a_removed_custom_field_comes_back_with_ctrl_z(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    """The ✕ that removes a custom field is one key in the form's Tab order: Ctrl+Z brings the
    field back, at its place, with its name, value and secret flag, and a save keeps it."""
    settings = sqlite_settings
    fields = (CustomField("PIN", "4321", secret=True), CustomField("Branch", "North"))
    seed(settings, ItemDraft("Bank", fields=fields))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("Enter")
        term.wait_for("Edit item")
        # Title, then: username, password, Generate, URLs, notes, tags, TOTP, and the first
        # field's name, value, Secret and ✕.
        term.keys(*["Tab"] * 11)
        term.keys("Enter")
        term.wait_for("Field PIN removed")
        term.wait_for("Ctrl+Z to undo")
        term.keys("C-z")
        term.wait_for("Field PIN is back")
        term.keys("C-s")
        term.wait_for("1 item in your vault")

    names = strongroom(settings, "show", "Bank", "--field-names", "--no-input")
    assert (names.returncode, names.stdout) == (0, "PIN\nBranch\n")
    backend = Backend(settings, device_label="check")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    [item] = backend.vault().list_items(active)
    assert item.fields == fields
    backend.close()

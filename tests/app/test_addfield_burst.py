"""Keys typed at once with a press: "Add field", a name, Tab and a value arriving together (a
fast typist, auto-type, a lagged link) land in the row the press adds, in the order typed."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from app.services.backend import Backend
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import terminal, write_config


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_a_name_typed_right_after_add_field_lands_in_the_new_field(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", "al", "pw"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("Enter")
        term.wait_for("Edit item")
        term.keys(*["Tab"] * 8)  # username, password, Generate, URLs, notes, tags, TOTP, Add field
        term.keys("Enter", "B", "r", "a", "n", "c", "h", "Tab", "N", "o", "r", "t", "h")
        term.wait_for("North")
        term.keys("C-s")
        term.wait_for("1 item in your vault")
    backend = Backend(settings, device_label="check")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    [item] = backend.vault().list_items(active)
    assert item.fields == (CustomField("Branch", "North"),)
    backend.close()

"""An edit held through a lock comes back whole: custom fields, TOTP parameters, tags, and the
item's password history kept when it is saved. Driven through the installed command (tmux)."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from app.services.backend import Backend
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed_with_history
from tests.terminal import Terminal, terminal, write_config

TOTP = "otpauth://totp/Bank:alice?secret=JBSWY3DPEHPK3PXP&digits=8&period=60&algorithm=SHA256"
FIELDS = (CustomField("PIN", "4321", secret=True), CustomField("Branch", "Main street"))


def _bank(password: str) -> ItemDraft:
    return ItemDraft(
        "Bank",
        username="alice",
        password=password,
        tags=("money", "family"),
        totp=TOTP,
        fields=FIELDS,
    )


def tab_until_seen(term: Terminal, text: str, tabs: int = 12) -> None:
    """Tab through the form until ``text`` is on the visible screen."""
    for _ in range(tabs):
        if text in term.screen():
            return
        term.keys("Tab")
        try:
            term.wait_for(text, timeout=1.0)
        except AssertionError:
            continue
        return
    term.wait_for(text, timeout=0.1)  # fails, showing the screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_an_edit_with_custom_fields_is_back_whole_after_lock_and_unlock(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    totp = seed_with_history(
        settings, _bank("first-bank-password"), _bank("second-bank-password")
    ).totp
    assert "digits=8" in totp
    assert "period=60" in totp
    assert "SHA256" in totp
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("Enter")  # edit Bank
        term.wait_for("Edit item")
        # To the notes (Tab is taken in order once the form is up; a text area selects nothing
        # on focus, so what is typed is added whatever the timing).
        term.keys("Tab", "Tab", "Tab", "Tab", "Tab")
        term.type("typed before the lock")
        term.palette("Lock the vault")
        term.wait_for("Your unsaved edit comes")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("Your unsaved edit is back")
        for shown in ("Edit item", "typed before the lock"):
            term.wait_for(shown)
        # Further down the form (below the fold at 120x40 as at 80x24): Tab brings each into view.
        for shown in ("money, family", "digits=8&period=60"):
            tab_until_seen(term, shown)
        assert "unexpected" not in term.scrollback()
        assert "Traceback" not in term.scrollback()
        term.keys("C-s")
        # Saved once it says so ("Edit item" scrolls out of view as soon as a field below
        # it is focused, so the form's heading gone is no sign of a save).
        term.wait_for("Saved 'Bank'.")

    backend = Backend(settings, device_label="check")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    vault = backend.vault()
    [item] = vault.list_items(active)
    assert item.notes == "typed before the lock"
    assert item.fields == FIELDS
    assert item.totp == totp
    assert item.tags == ("money", "family")
    assert item.password == "second-bank-password"
    assert [entry.password for entry in vault.history(active, item.id)] == ["first-bank-password"]
    backend.close()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_edit_back_after_a_lock_says_its_undo_history_was_cleared(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    """Only the draft is sealed through a lock; the undo history is earlier plaintext, and a
    lock leaves none in memory. The form that comes back says Ctrl+Z no longer reaches what
    was typed before (in the form itself: a notice goes by), and it does not."""
    settings = sqlite_settings
    seed_with_history(settings, _bank("first-bank-password"), _bank("second-bank-password"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("Enter")
        term.wait_for("Edit item")
        term.keys("Tab", "Tab", "Tab", "Tab", "Tab")  # the notes
        term.type("undone-before")
        term.wait_for("undone-before")
        term.keys("C-z")  # before a lock, Ctrl+Z undoes typing
        term.wait_until(lambda: "undone-before" not in term.screen(), "the typing undone")
        term.type("kept-through")
        term.wait_for("kept-through")
        term.palette("Lock the vault")
        term.wait_for("Your unsaved edit comes")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("Your unsaved edit is back")
        term.wait_for("Ctrl+Z cannot undo what was typed before it")
        term.wait_for("kept-through")
        term.keys("Tab", "Tab", "Tab", "Tab", "Tab")  # the notes again
        term.keys("C-z")
        term.keys("C-s")  # saved after Ctrl+Z was handled: what it left is what is saved
        term.wait_for("Saved 'Bank'.")

    backend = Backend(settings, device_label="check")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    [item] = backend.vault().list_items(active)
    assert item.notes == "kept-through"
    backend.close()

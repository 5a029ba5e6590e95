"""An account's username changed by raw SQL, its username key left alone (the key the account's
MAC covers and the login finds it by): the app never greets the person by the planted name. The
saved login is refused with the reason, and the password login says the database was tampered
with; put back, the login opens the vault. Read from the real terminal (tmux)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.helpers import STRONG_PASSWORD, sql
from tests.pilot import seed
from tests.terminal import terminal, write_config

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def _words(screen: str) -> str:
    return " ".join(screen.replace("│", " ").split())


@pytest.mark.parametrize("size", SIZES)
def test_a_username_changed_alone_greets_no_one_and_the_login_says_tampered(
    settings: Settings, size: tuple[int, int]
) -> None:
    seed(settings, ItemDraft("GitHub", "alice", "first"))
    write_config(settings)
    sql(settings, text("UPDATE users SET username = 'mallory'"))
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_until(
            lambda: "belongs to a name that is not valid" in _words(term.screen()),
            "the saved login refused with its reason",
        )
        assert "mallory" not in term.screen()
        term.type(STRONG_PASSWORD)  # the focus is on the password
        term.keys("Enter")
        term.wait_until(
            lambda: "not the one it was registered under" in _words(term.screen()),
            "the login refused as tampered",
        )
        screen = term.screen()
        assert "mallory" not in screen
        assert "Welcome" not in screen
        assert "Traceback" not in screen
        sql(settings, text("UPDATE users SET username = 'alice'"))
        term.type(STRONG_PASSWORD)  # a refused login clears the password; the focus is there
        term.keys("Enter")
        term.wait_for("1 item in your vault")
        assert "Welcome, alice!" in term.screen()

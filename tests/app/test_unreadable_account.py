"""The app launched on a database whose account, session or own id holds a value Strongroom
never writes (SQLite keeps any type): a screen says what it means, with Retry and Quit,
never a stuck "Opening" line or a traceback; put back, Retry opens the vault. Read from the
real terminal (tmux)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.helpers import rows, sql
from tests.pilot import seed
from tests.terminal import terminal, write_config

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
# Each row of the table (key, column) is changed, then put back.
CHANGES = [
    pytest.param("sessions", "id", "expires_at", "a column of this account", id="session-date"),
    pytest.param("users", "id", "created_at", "a column of this account", id="account-date"),
    pytest.param("app_keys", "name", "value", "its id (in app_keys)", id="database-id"),
    pytest.param("sessions", "id", "user_id", "a column of this account", id="session-owner"),
]


def _words(screen: str) -> str:
    """The screen's words in order, the card's borders and line breaks gone."""
    return " ".join(screen.replace("│", " ").split())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("table", "key", "column", "said"), CHANGES)
def test_a_value_strongroom_never_writes_is_a_screen_and_retry_opens_once_put_back(
    sqlite_settings: Settings, size: tuple[int, int], table: str, key: str, column: str, said: str
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("GitHub", "alice", "first"))
    write_config(settings)
    kept = rows(settings, f"SELECT {key}, {column} FROM {table}")  # noqa: S608 (the test's own)
    sql(settings, text(f"UPDATE {table} SET {column} = 'garbage'"))  # noqa: S608
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("The database could not be opened")
        term.wait_until(lambda: said in _words(term.screen()), f"{said!r} on screen")
        screen = term.screen()
        assert "Retry" in screen
        assert "Quit" in screen
        assert "garbage" not in screen
        assert "Traceback" not in screen
        for row_key, value in kept:
            put_back = text(f"UPDATE {table} SET {column} = :value WHERE {key} = :key")  # noqa: S608
            sql(settings, put_back.bindparams(value=value, key=row_key))
        term.keys("r")
        term.wait_for("1 item in your vault")

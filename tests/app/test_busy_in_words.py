"""While the database opens, a login or an unlock is checked, the screen says so in words
("Opening your vault database…", "Logging in…", "Unlocking…"): nothing animates, as every frame
of an animation takes a turn at the GIL from the very work it waits for."""

from __future__ import annotations

import threading

from textual.widgets import Button, Input, LoadingIndicator

from app.app import StrongroomApp
from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from app.screens.login import LoginScreen
from app.screens.unlock import UnlockScreen
from app.screens.vault import VaultScreen
from app.services.accounts import AccountService
from app.services.backend import Backend
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed, settle, text_of, type_into


def _animations(app: StrongroomApp) -> list[LoadingIndicator]:
    return [widget for screen in app.screen_stack for widget in screen.query(LoadingIndicator)]


async def test_the_remembered_launch_says_the_database_is_opening(
    sqlite_settings: Settings,
) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    opened = threading.Event()

    class SlowBackend(Backend):
        """The database opens only when the test says so."""

        def accounts(self) -> AccountService:
            opened.wait(10)
            return super().accounts()

    app = StrongroomApp(SlowBackend(sqlite_settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert text_of(app, "#starting") == "Opening your vault database…"
        assert _animations(app) == []
        opened.set()
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)


async def test_the_login_button_says_logging_in_and_comes_back(
    sqlite_settings: Settings,
) -> None:
    seed(sqlite_settings, remember=False)
    app = make_app(sqlite_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LoginScreen)
        button = screen.query_one("#submit", Button)
        await type_into(pilot, "#password", "not the password at all")
        screen.submit()
        assert str(button.label) == "Logging in…"
        assert screen.busy
        assert screen.query_one("#password", Input).disabled
        assert _animations(app) == []
        await settle(pilot)
        assert "Wrong username or password" in text_of(app, "#error")
        assert str(button.label) == "Log in"
        assert not screen.busy
        await type_into(pilot, "#password", STRONG_PASSWORD)
        screen.submit()
        assert str(button.label) == "Logging in…"
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)


async def test_the_unlock_button_says_unlocking(sqlite_settings: Settings) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    app = make_app(sqlite_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        await type_into(pilot, "#password", STRONG_PASSWORD)
        screen.submit()
        assert str(screen.query_one("#submit", Button).label) == "Unlocking…"
        assert screen.busy
        assert _animations(app) == []
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)

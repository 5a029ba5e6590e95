"""While the database opens, a login or an unlock is checked, the screen says so in words
("Opening your vault database…", "Logging in…", "Unlocking…"): nothing animates, as every frame
of an animation takes a turn at the GIL from the very work it waits for."""

from __future__ import annotations

import threading

import pytest
from textual.geometry import Region
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


def _drawn_whole(button: Button) -> str:
    """What the button draws, its border (at full size) included."""
    region = Region(0, 0, button.outer_size.width, button.outer_size.height)
    return "\n".join(strip.text for strip in button.render_lines(region))


class SlowBackend(Backend):
    """The database opens only when the test says so."""

    opened: threading.Event

    def accounts(self) -> AccountService:
        self.opened.wait(10)
        return super().accounts()


async def test_the_remembered_launch_says_the_database_is_opening(
    sqlite_settings: Settings,
) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    backend = SlowBackend(sqlite_settings)
    backend.opened = opened = threading.Event()
    app = StrongroomApp(backend)
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


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_busy_login_button_shows_its_words_whole(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    """Submitted while the database still opens, the login waits: the button reads
    "Logging in…", whole, at either size, until it is done."""
    seed(sqlite_settings, remember=False)
    backend = SlowBackend(sqlite_settings)
    backend.opened = opened = threading.Event()
    app = StrongroomApp(backend)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await pilot.pause()
        assert "Logging in…" in _drawn_whole(app.screen.query_one("#submit", Button))
        assert _animations(app) == []
        opened.set()
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)

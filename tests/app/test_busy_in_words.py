"""While the database opens, a login or an unlock is checked, the screen says so in words
("Opening your vault database…", "Logging in…", "Unlocking…"): nothing animates, as every frame
of an animation takes a turn at the GIL from the very work it waits for."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Button, Input, LoadingIndicator

from app.app import StrongroomApp
from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from app.flows import vault as vault_flow
from app.screens.login import LoginScreen
from app.screens.unlock import UnlockScreen
from app.screens.vault import VaultScreen
from app.services.accounts import AccountService
from app.services.backend import Backend
from app.services.integrity_reads import Listing
from app.services.vault import VaultService
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed, settle, text_of, titles, type_into


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


async def _until(pilot: Pilot[None], done: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait (the app running) until ``done()``; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the condition never came"
        await pilot.pause(0.02)


def _slow_list(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Reading the vault's items waits until the test sets the event it returns."""
    read = threading.Event()
    list_checked = VaultService.list_checked

    def slow(self: VaultService, *args: Any, **kwargs: Any) -> Listing:
        read.wait(10)
        return list_checked(self, *args, **kwargs)

    monkeypatch.setattr(VaultService, "list_checked", slow)
    return read


async def test_a_slow_list_keeps_the_login_saying_opening_until_the_list_is_in(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vault is not drawn empty while its rows are read (they would take turns at the
    GIL): the login form says "Opening…" meanwhile, whole, and the vault comes filled."""
    seed(sqlite_settings, ItemDraft("Bank"), remember=False)
    read = _slow_list(monkeypatch)
    app = make_app(sqlite_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LoginScreen)
        await type_into(pilot, "#password", STRONG_PASSWORD)
        screen.submit()
        button = screen.query_one("#submit", Button)
        await _until(pilot, lambda: str(button.label) == "Opening…")
        await pilot.pause()
        assert app.screen is screen
        assert "Opening…" in _drawn_whole(button)
        read.set()
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert titles(app) == ["Bank"]


async def test_a_list_slower_still_gets_the_vault_drawn_saying_opening(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(sqlite_settings, ItemDraft("Bank"), remember=False)
    read = _slow_list(monkeypatch)
    monkeypatch.setattr(vault_flow, "VAULT_SHOW_LONG_WAIT", 0.6)
    app = make_app(sqlite_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        login = app.screen
        assert isinstance(login, LoginScreen)
        await type_into(pilot, "#password", STRONG_PASSWORD)
        login.submit()
        await _until(pilot, lambda: isinstance(app.screen, VaultScreen))
        await pilot.pause()
        assert text_of(app, "#counts") == "Opening…"
        read.set()
        await settle(pilot)
        assert titles(app) == ["Bank"]

"""Hostile input typed into every form of the real app (Pilot), one sample after another.

Each sample goes into every field of a screen, the form is submitted, and then: the app is
still running (no crash, no "[@click=app.quit]" obeyed), the answer is either success or the
form's own error line, what was typed is still in the form after a refusal, no markup from the
sample was interpreted, no raw control character reaches the screen, and nothing the user had
stored changed. The controllers get the same samples through Hypothesis
(services/test_hardening.py); this is the screens' half.
"""

from __future__ import annotations

from textual.widgets import Input, Static, TextArea

from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from app.screens.item_form import ItemFormScreen
from app.screens.login import LoginScreen
from app.screens.register import RegisterScreen
from app.screens.unlock import UnlockScreen
from app.screens.vault import VaultScreen
from app.services.backend import Backend
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed, settle

KEEP = ItemDraft("Keep", username="kept", password="kept-password")
SAMPLES = [
    "",
    "   ",
    "nul\x00byte",
    "bell\x07 and tab\t",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",
    "e\u0301 combining",
    "' OR '1'='1' --",
    "[bold]x[/bold]",
    "[@click=app.quit]q[/]",
    "🙂" * 64,
    "x" * 10_000,
    "lone \ud800 surrogate",
]


def stored_titles(settings: Settings) -> list[str]:
    backend = Backend(settings, device_label="check")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    titles = [item.title for item in backend.vault().list_items(active)]
    backend.close()
    return titles


def assert_screen_is_sound(app: object) -> None:
    from app.app import StrongroomApp

    assert isinstance(app, StrongroomApp)
    assert app.is_running
    assert app._exception is None
    for widget in app.screen.query(Static):
        text = str(widget.render())
        assert "\x1b" not in text
        assert "\x00" not in text


def fill(screen: object, values: dict[str, str]) -> None:
    from textual.screen import Screen

    assert isinstance(screen, Screen)
    for selector, value in values.items():
        field = screen.query_one(selector)
        if isinstance(field, TextArea):
            field.text = value
        else:
            assert isinstance(field, Input)
            field.value = value


async def test_registration_form(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for sample in SAMPLES:
            assert isinstance(app.screen, RegisterScreen)
            fill(app.screen, {"#username": sample, "#password": sample, "#confirm": sample})
            typed = app.screen.query_one("#username", Input).value
            app.screen.submit()
            await settle(pilot)
            assert_screen_is_sound(app)
            assert isinstance(app.screen, RegisterScreen)  # refused, never registered
            assert str(app.screen.query_one("#error", Static).render()), sample
            assert app.screen.query_one("#username", Input).value == typed  # kept


async def test_login_form(settings: Settings) -> None:
    seed(settings, KEEP, remember=False)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for sample in SAMPLES:
            assert isinstance(app.screen, LoginScreen)
            fill(app.screen, {"#username": sample, "#password": sample})
            app.screen.submit()
            await settle(pilot)
            assert_screen_is_sound(app)
            assert isinstance(app.screen, LoginScreen)
            assert str(app.screen.query_one("#error", Static).render())
    assert stored_titles(settings) == ["Keep"]


async def test_vault_forms_search_and_unlock(settings: Settings) -> None:
    seed(settings, KEEP)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        saved: list[str] = []
        for number, sample in enumerate(SAMPLES):
            # The search box: filters or finds nothing, never breaks the list.
            app.screen.query_one("#search", Input).value = sample
            await pilot.pause()
            assert_screen_is_sound(app)
            app.screen.query_one("#search", Input).value = ""
            await pilot.pause()
            # The item form: every field at once, then Ctrl+S.
            app.screen.action_add()
            await settle(pilot)
            form = app.screen
            assert isinstance(form, ItemFormScreen)
            # Every other sample leaves the TOTP secret empty, so that some can be saved.
            fields = ("#title", "#username", "#password", "#tags", "#urls", "#notes")
            fill(form, {name: sample for name in fields} | {"#totp": sample if number % 2 else ""})
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert_screen_is_sound(app)
            if isinstance(app.screen, ItemFormScreen):  # refused: the reason, and nothing lost
                assert str(app.screen.query_one("#error", Static).render())
                assert app.screen.query_one("#notes", TextArea).text == sample
                await pilot.press("escape")
                await settle(pilot)
                if not isinstance(app.screen, VaultScreen):  # "discard what you typed?"
                    await pilot.press("ctrl+d")
                    await settle(pilot)
            else:
                saved.append(sample)
            assert isinstance(app.screen, VaultScreen)
        # Whatever was accepted was stored as typed (titles are trimmed), and nothing else.
        titles = stored_titles(settings)
        assert sorted(titles) == sorted(["Keep", *(sample.strip() for sample in saved)])
        assert len(saved) >= 3, saved  # the path that stores hostile text is really taken
        # Lock, then the unlock form gets every sample as a password.
        await pilot.press("ctrl+l")
        await settle(pilot)
        for sample in SAMPLES:
            assert isinstance(app.screen, UnlockScreen)
            fill(app.screen, {"#password": sample})
            app.screen.submit()
            await settle(pilot)
            assert_screen_is_sound(app)
            assert isinstance(app.screen, UnlockScreen)
            assert str(app.screen.query_one("#error", Static).render())

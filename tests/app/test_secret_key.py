"""The Secret Key in the app, read from the real terminal (tmux) at 80x24 and 120x40: the option
on the registration form, the kit shown whole and closed only on purpose, and a new device's
login asking for the key (a wrong one said so), the right one opening the vault."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.core import secret_key
from app.core.config import Settings
from tests.helpers import STRONG_PASSWORD
from tests.pilot import settle
from tests.terminal import Terminal, terminal, write_config

ASKED = "This account has a Secret Key. Enter it from your Emergency Kit"


def shown_key(term: Terminal) -> str:
    """The key as the kit dialog shows it."""
    for line in term.screen().splitlines():
        for word in line.split():
            if word.startswith("S1-"):
                return word
    raise AssertionError(f"no key on screen:\n{term.screen()}")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_register_with_a_key_then_a_new_device_asks_for_it(
    sqlite_settings: Settings, tmp_path: Path, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("Create your account")
        # Off by default for this device's own SQLite file; one line says the trade-off.
        term.wait_for("Protect with a Secret Key")
        term.wait_for("lose both, lose the vault.")
        term.type("alice")
        term.keys("Tab")
        term.type(STRONG_PASSWORD)
        term.keys("Tab")
        term.type(STRONG_PASSWORD)
        term.keys("Tab", "Space")  # the option (off: else no kit below), reached with Tab
        term.keys("Tab", "Enter")
        # The kit, whole on the screen: the key, whose it is, where its kit file is, the cost.
        term.wait_for("Your Secret Key, shown once")
        for text in ("Account: alice", "Database:", "strongroom.db", "cannot recover it."):
            term.wait_for(text)
        term.wait_for("I have saved it")
        printed = shown_key(term)
        secret_key.parse(printed)
        (kit,) = (settings.data_dir / "kits").glob("strongroom-kit-alice-*.txt")
        assert printed in kit.read_text()
        # Where the kit is, whole (a path wraps where it must: its lines joined back).
        assert str(kit) in "".join(line.strip(" █") for line in term.screen().splitlines())
        # Esc does not close it (nor Space: see below); Enter on its button does.
        term.keys("Escape")
        term.wait_for("Save the key first")
        assert "Your Secret Key, shown once" in term.screen()
        term.keys("Enter")
        term.wait_until(lambda: "Your Secret Key" not in term.screen(), "the kit closed")
        term.wait_for("Account alice created.")

    # Another device: folders of its own, the same database, no key yet.
    other = replace(
        settings, config_dir=tmp_path / "o" / "config", data_dir=tmp_path / "o" / "data"
    )
    write_config(other)
    wrong = secret_key.printable(secret_key.new_secret_key())
    with terminal(other, *size) as term:
        term.launch()
        term.wait_for("Log in to your vault")
        term.type("alice")
        term.keys("Tab")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("Kit: this device does not hold it yet.")
        term.wait_for("Secret Key (from your Emergency Kit):")
        assert ASKED in " ".join(term.screen().replace("│", " ").split())
        term.type(wrong)
        term.keys("Enter")
        term.wait_for("wrong Secret Key")
        term.keys("C-u")
        term.type(printed.lower())
        term.keys("Enter")
        term.wait_for("Log out")
        assert printed.lower() not in term.scrollback()
    assert list((other.data_dir / "secret-keys").iterdir())


async def test_space_does_not_close_the_kit(sqlite_settings: Settings) -> None:
    """Space presses other buttons (the App's binding); not this one, which a space typed from
    habit would close unread."""
    from app.core.accounts import EmergencyKit
    from app.factory import make_app
    from app.screens.secret_key import KitScreen

    app = make_app(sqlite_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)  # the first screen (registration) is up
        printed = secret_key.printable(secret_key.new_secret_key())
        app.push_screen(KitScreen(EmergencyKit("alice", printed, "sqlite:///db", None)))
        await pilot.pause()
        assert app.focused is not None
        assert app.focused.id == "saved"
        assert isinstance(app.screen, KitScreen)
        await pilot.press("space")
        await pilot.pause()
        assert isinstance(app.screen, KitScreen)
        assert any("press Enter, not Space" in n.message for n in app._notifications)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, KitScreen)


async def test_help_explains_the_secret_key_and_its_cost(sqlite_settings: Settings) -> None:
    from app.factory import make_app
    from app.screens.help import HelpScreen

    app = make_app(sqlite_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(HelpScreen())
        await pilot.pause()
        text = str(app.screen.query_one("#secret-key-help").render())
        assert "a copy of the database cannot be guessed against" in text
        assert "Strongroom cannot recover it" in text
        assert "logging out keeps it" in text


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_key_added_later_is_shown_once_and_kept(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    from app.factory import make_app
    from app.screens.secret_key import AddSecretKeyScreen, KitScreen
    from tests.pilot import seed, type_into

    seed(sqlite_settings)  # alice, logged in and remembered on this device
    app = make_app(sqlite_settings)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.show_add_secret_key()
        await pilot.pause()
        assert isinstance(app.screen, AddSecretKeyScreen)
        # The dialog says the vault key is replaced, and its field and button are on the screen.
        text = " ".join(str(part.render()) for part in app.screen.query(".form-text"))
        assert "vault key is replaced" in text
        for widget in (app.screen.query_one("#password"), app.screen.query_one("#submit")):
            assert widget.region.height > 0
            assert app.screen.region.contains_region(widget.region)
        assert app.active is not None
        before = app.active.vault_key
        await type_into(pilot, "#password", "not the password at all")
        await pilot.press("enter")
        await settle(pilot)
        assert "password is wrong" in str(app.screen.query_one("#error").render())
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, KitScreen)
        printed = str(app.screen.query_one("#secret-key").render())
        secret_key.parse(printed)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, KitScreen)
        # The vault key was replaced with it: the app goes on under the new one.
        assert app.active is not None
        assert app.active.vault_key != before
    (copy,) = (sqlite_settings.data_dir / "secret-keys").iterdir()
    assert printed in copy.read_text()


async def test_a_key_added_on_another_device_ends_this_session_and_is_asked_for(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    from app.factory import make_app
    from app.screens.login import LoginScreen
    from app.screens.vault import VaultScreen
    from app.services.backend import Backend
    from tests.pilot import seed, type_into

    seed(sqlite_settings)  # alice, remembered on this device
    here = Backend(sqlite_settings)
    accounts = here.accounts()
    session = accounts.startup().session
    assert session is not None
    accounts.lock(session)
    here.close()
    folder = tmp_path / "other"
    other = Backend(replace(sqlite_settings, config_dir=folder / "c", data_dir=folder / "d"))
    active = other.accounts().login("alice", STRONG_PASSWORD, remember=False)
    printed = other.accounts().add_secret_key(active, STRONG_PASSWORD)[1].secret_key
    other.close()

    app = make_app(sqlite_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # The vault key was replaced with the key: this device's session ended.
        assert isinstance(app.screen, LoginScreen)
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert "This account has a Secret Key" in str(app.screen.query_one("#error").render())
        assert app.focused is app.screen.query_one("#secret_key")
        await type_into(pilot, "#secret_key", printed)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)


async def test_the_option_is_on_for_a_shared_database_only(settings: Settings) -> None:
    from textual.widgets import Checkbox

    from app.factory import make_app
    from app.screens.register import RegisterScreen

    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        shared = settings.database_url.startswith("mariadb")
        assert app.screen.query_one("#secret-key", Checkbox).value is shared

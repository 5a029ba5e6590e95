"""The vault as a person uses it, through the real app (Pilot), on SQLite and MariaDB."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from app.flows.clipboard import CLEARED
from app.screens.account import ChangePasswordScreen, DeleteAccountScreen, SessionsScreen
from app.screens.confirm import ConfirmScreen
from app.screens.conflict import ConflictScreen
from app.screens.generator import GeneratorScreen
from app.screens.item_form import ItemFormScreen
from app.screens.register import RegisterScreen
from app.screens.unlock import UnlockScreen
from app.screens.vault import VaultScreen
from app.services.backend import Backend
from app.widgets.item_list import ItemList
from tests.helpers import STRONG_PASSWORD
from tests.pilot import detail, seed, settle, titles, type_into, vault_app


async def test_add_an_item_with_the_keyboard(settings: Settings) -> None:
    seed(settings)
    async with vault_app(settings) as (app, pilot):
        assert "Welcome, alice!" in str(app.screen.query_one("#welcome").render())
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemFormScreen)
        order = []
        for _ in range(6):
            order.append(app.focused.id if app.focused else None)
            await pilot.press("tab")
        # Reading order, the Generate button beside the password included.
        assert order == ["title", "username", "password", "generate", "urls", "notes"]
        await type_into(pilot, "#title", "GitHub")
        await type_into(pilot, "#username", "alice@example.org")
        await type_into(pilot, "#password", "s3cret-github-pw")
        form.query_one("#urls", TextArea).text = "https://github.com\nhttps://gist.github.com"
        form.query_one("#notes", TextArea).text = "recovery codes in the safe"
        await type_into(pilot, "#tags", "work, code")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert titles(app) == ["GitHub"]
        shown = detail(app)
        assert "alice@example.org" in shown
        assert "https://gist.github.com" in shown
        assert "recovery codes in the safe" in shown
        assert "s3cret-github-pw" not in shown  # masked until revealed
        await pilot.press("ctrl+r")
        assert "s3cret-github-pw" in detail(app)
        await pilot.press("ctrl+r")
        assert "s3cret-github-pw" not in detail(app)


async def test_form_refuses_bad_input_and_keeps_it(settings: Settings) -> None:
    seed(settings)
    async with vault_app(settings) as (app, pilot):
        await pilot.press("ctrl+n")
        await settle(pilot)
        await type_into(pilot, "#username", "someone")
        await type_into(pilot, "#totp", "not base32!")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemFormScreen)
        assert "Please give the item a title." in str(form.query_one("#error").render())
        assert app.focused is form.query_one("#title", Input)
        await type_into(pilot, "#title", "Thing")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "base32" in str(form.query_one("#error").render())
        assert form.query_one("#username", Input).value == "someone"


async def test_cancel_asks_first_when_something_was_typed(settings: Settings) -> None:
    seed(settings)
    async with vault_app(settings) as (app, pilot):
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await type_into(pilot, "#title", "half-typed")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ItemFormScreen)
        assert app.screen.query_one("#title", Input).value == "half-typed"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert titles(app) == []


async def test_edit_keeps_password_history(settings: Settings) -> None:
    seed(settings, ItemDraft("Mail", password="first-password"))
    async with vault_app(settings) as (app, pilot):
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemFormScreen)
        await type_into(pilot, "#password", "second-password")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert "Password history" in detail(app)
        await pilot.press("ctrl+r")
        assert "first-password" in detail(app)


async def test_trash_restore_and_purge(settings: Settings) -> None:
    seed(settings, ItemDraft("Keep me"), ItemDraft("Old thing"))
    async with vault_app(settings) as (app, pilot):
        assert titles(app) == ["Keep me", "Old thing"]
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert titles(app) == ["Old thing"]
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, VaultScreen)
        assert screen.showing_trash
        assert titles(app) == ["Keep me"]
        assert "in the trash" in str(screen.query_one("#counts").render())
        await pilot.press("u")
        await settle(pilot)
        assert titles(app) == []
        await pilot.press("t")
        await settle(pilot)
        assert titles(app) == ["Keep me", "Old thing"]
        await pilot.press("down", "delete", "ctrl+d")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("delete")
        await settle(pilot)
        assert "for good" in str(app.screen.query_one("#question").render())
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert titles(app) == []


async def test_search_as_you_type(settings: Settings) -> None:
    seed(
        settings,
        ItemDraft("GitHub", username="alice"),
        ItemDraft("Bank", urls=("https://bank.example",)),
        ItemDraft("Gitea"),
    )
    async with vault_app(settings) as (app, pilot):
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#search", Input)
        await pilot.press("g", "i", "t")
        assert titles(app) == ["Gitea", "GitHub"]
        await pilot.press("h")
        assert titles(app) == ["GitHub"]
        await pilot.press("enter")  # back to the list, the match highlighted
        assert app.screen.query_one(ItemList).has_focus
        await pilot.press("slash", *"bank.example")  # focusing selects the old query
        assert titles(app) == ["Bank"]
        await pilot.press("escape")
        assert titles(app) == ["Bank", "Gitea", "GitHub"]


async def test_the_list_and_its_search_put_dup_item_2_before_dup_item_12(
    settings: Settings,
) -> None:
    seed(settings, *(ItemDraft(f"dup item {n}") for n in (12, 2, 1)))
    async with vault_app(settings) as (app, pilot):
        assert titles(app) == ["dup item 1", "dup item 2", "dup item 12"]
        await pilot.press("slash", *"dup item 2")
        await settle(pilot)
        assert titles(app) == ["dup item 2", "dup item 12"]  # the exact title first


async def test_copy_keys_and_clipboard_clearing(settings: Settings) -> None:
    seed(
        settings,
        ItemDraft(
            "Site",
            username="user1",
            password="pw-to-copy",
            urls=("https://site.example",),
            totp="JBSWY3DPEHPK3PXPJBSWY3DP",
        ),
    )
    async with vault_app(settings) as (app, pilot):
        await pilot.press("ctrl+b")
        assert app.clipboard == "user1"
        await pilot.press("ctrl+u")
        assert app.clipboard == "https://site.example"
        await pilot.press("ctrl+t")
        assert app.clipboard.isdigit()
        assert len(app.clipboard) == 6
        await pilot.press("ctrl+c")
        assert app.clipboard == "pw-to-copy"
        assert app.clipboard_guard.armed
        timer = app.clipboard_guard._timer
        assert timer is not None
        assert timer._interval == settings.security.clipboard_clear_seconds
        await pilot.press("ctrl+l")  # locking clears it at once
        await settle(pilot)
        assert app.clipboard == CLEARED


async def test_lock_unlock_and_auto_lock(settings: Settings) -> None:
    seed(settings, ItemDraft("Secret thing", password="locked-away"))
    now = [1000.0]
    app = make_app(settings)
    app.idle_clock = lambda: now[0]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert app.active is not None
        assert app.active.vault_key == b""
        assert app.vault_screen() is None  # the decrypted items went with it
        await type_into(pilot, "#password", "not the password")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert "Wrong password." in str(app.screen.query_one("#error").render())
        assert "username" not in str(app.screen.query_one("#error").render())
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert titles(app) == ["Secret thing"]

        now[0] += 14 * 60
        app.lock_if_idle()
        assert isinstance(app.screen, VaultScreen)
        await pilot.press("down")  # input resets the idle time
        now[0] += 14 * 60
        app.lock_if_idle()
        assert isinstance(app.screen, VaultScreen)
        now[0] += 60
        app.lock_if_idle()
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert "15 minutes" in str(app.screen.query_one("#notice").render())
    # The lock outlasts the process: a relaunch remembers who, and asks for the password.
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert app.screen.username == "alice"
        assert app.vault_screen() is None


async def test_an_open_edit_survives_auto_lock_sealed_and_comes_back_on_unlock(
    settings: Settings,
) -> None:
    seed(settings, ItemDraft("Bank", username="alice", password="old-bank-password"))
    now = [1000.0]
    app = make_app(settings)
    app.idle_clock = lambda: now[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # edit Bank
        await settle(pilot)
        await type_into(pilot, "#password", "typed-but-not-saved")
        await type_into(pilot, "#tags", "money")
        await pilot.press("ctrl+g")  # a dialog over the form: the lock closes it too
        await settle(pilot)
        now[0] += 16 * 60
        app.lock_if_idle()
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert "unsaved edit comes back" in str(app.screen.query_one("#notice").render())
        # While locked nothing holds what was typed in clear: no form, only ciphertext.
        assert not any(isinstance(s, ItemFormScreen) for s in app.screen_stack)
        assert app.held_edit is not None
        assert b"typed-but-not-saved" not in app.held_edit.sealed
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemFormScreen)
        assert form.query_one("#password", Input).value == "typed-but-not-saved"
        assert form.query_one("#tags", Input).value == "money"
        assert form.query_one("#username", Input).value == "alice"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert app.screen.highlighted is not None
        assert app.screen.highlighted.password == "typed-but-not-saved"


async def test_logging_out_while_locked_drops_the_held_edit(settings: Settings) -> None:
    seed(settings, ItemDraft("Bank"))
    async with vault_app(settings) as (app, pilot):
        await pilot.press("ctrl+n")
        await settle(pilot)
        await type_into(pilot, "#title", "Half typed")
        app.lock_vault()
        await settle(pilot)
        assert app.held_edit is not None
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.held_edit is None


async def test_generator_fills_the_password(settings: Settings) -> None:
    seed(settings)
    async with vault_app(settings) as (app, pilot):
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        generator = app.screen
        assert isinstance(generator, GeneratorScreen)
        first = generator.value
        assert len(first) == 20
        await pilot.press("ctrl+g")
        assert generator.value != first
        await pilot.click("#mode-passphrase")
        await pilot.pause()
        assert generator.value.count("-") == 4
        phrase = generator.value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ItemFormScreen)
        assert app.screen.query_one("#password", Input).value == phrase


async def test_edit_conflict_shows_both_versions(settings: Settings) -> None:
    seed(settings, ItemDraft("Shared", password="original"))
    async with vault_app(settings) as (app, pilot):
        await pilot.press("enter")
        await settle(pilot)
        # Meanwhile another device saves a change.
        other = Backend(settings, device_label="other")
        active = other.accounts().login("alice", STRONG_PASSWORD, remember=False)
        (item,) = other.vault().list_items(active)
        other.vault().update(active, item.id, item.version, ItemDraft("Shared", password="theirs"))
        other.close()
        await type_into(pilot, "#password", "mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictScreen)
        await pilot.click("#mine")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        await pilot.press("ctrl+c")
        assert app.clipboard == "mine"


async def test_refresh_picks_up_other_devices(settings: Settings) -> None:
    seed(settings, ItemDraft("First"))
    async with vault_app(settings) as (app, pilot):
        other = Backend(settings, device_label="other")
        active = other.accounts().login("alice", STRONG_PASSWORD, remember=False)
        other.vault().add(active, ItemDraft("From the desktop"))
        other.close()
        await pilot.press("f5")
        await settle(pilot)
        assert titles(app) == ["First", "From the desktop"]


async def test_sessions_password_change_and_account_deletion(settings: Settings) -> None:
    seed(settings, ItemDraft("Thing"))
    async with vault_app(settings) as (app, pilot):
        app.load_sessions()
        await settle(pilot)
        sessions = app.screen
        assert isinstance(sessions, SessionsScreen)
        assert [s.current for s in sessions.sessions] == [True]
        await pilot.press("escape")

        app.show_change_password()
        await settle(pilot)
        assert isinstance(app.screen, ChangePasswordScreen)
        await type_into(pilot, "#current", STRONG_PASSWORD)
        await type_into(pilot, "#new", "a brand new master passphrase")
        await type_into(pilot, "#confirm", "a brand new master passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        await pilot.press("ctrl+l")
        await settle(pilot)
        await type_into(pilot, "#password", "a brand new master passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert titles(app) == ["Thing"]

        app.push_screen(DeleteAccountScreen())
        await settle(pilot)
        await type_into(pilot, "#password", "wrong one")
        await pilot.press("enter")
        await settle(pilot)
        assert "password is wrong" in str(app.screen.query_one("#error").render())
        await type_into(pilot, "#password", "a brand new master passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    assert not settings.token_path.exists()


@pytest.mark.parametrize("hostile", ["[bold]x[/bold] [@click=app.quit]q[/]", "\u202eevil\u202c 🙂"])
async def test_hostile_titles_are_shown_as_text(settings: Settings, hostile: str) -> None:
    seed(settings, ItemDraft(hostile, username=hostile))
    async with vault_app(settings) as (app, pilot):
        assert titles(app) == [hostile]
        shown = detail(app)
        assert "\u202e" not in shown
        if "[bold]" in hostile:
            assert "[bold]x[/bold]" in shown
        await pilot.press("ctrl+b")
        assert app.clipboard == hostile


async def test_every_vault_action_is_in_the_command_palette(settings: Settings) -> None:
    seed(settings, ItemDraft("Palette item", password="from-the-palette"))
    async with vault_app(settings) as (app, pilot):
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        for title in (
            "Add item",
            "Copy password",
            "Trash",
            "Lock the vault",
            "Remembered sessions",
            "Change master password",
            "Delete account",
        ):
            assert title in commands
        commands["Copy password"].callback()
        await pilot.pause()
        assert app.clipboard == "from-the-palette"
        await pilot.press("ctrl+p")
        await pilot.press(*"copy user")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)


@pytest.mark.mariadb
async def test_two_devices_on_one_mariadb(mariadb_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import FAST_SECURITY

    def device(name: str) -> Settings:
        return Settings(
            config_dir=tmp_path / name / "config",
            data_dir=tmp_path / name / "data",
            database_url=mariadb_url,
            security=FAST_SECURITY,
        )

    laptop, desktop = device("laptop"), device("desktop")
    seed(laptop, ItemDraft("Shared login", password="v1"))
    login = Backend(desktop, device_label="desktop")
    login.accounts().login("alice", STRONG_PASSWORD, remember=True)
    login.close()

    async with vault_app(laptop) as (app1, pilot1), vault_app(desktop) as (app2, pilot2):
        assert titles(app1) == titles(app2) == ["Shared login"]
        # Both open the same item for editing.
        await pilot1.press("enter")
        await settle(pilot1)
        await pilot2.press("enter")
        await settle(pilot2)
        await type_into(pilot1, "#password", "laptop-edit")
        await pilot1.press("ctrl+s")
        await settle(pilot1)
        await type_into(pilot2, "#password", "desktop-edit")
        await pilot2.press("ctrl+s")
        await settle(pilot2)
        assert isinstance(app2.screen, ConflictScreen)  # never a silent overwrite
        await pilot2.click("#theirs")
        await settle(pilot2)
        await pilot2.press("ctrl+c")
        assert app2.clipboard == "laptop-edit"
        # A new item on one shows up on the other after a refresh.
        await pilot2.press("ctrl+n")
        await settle(pilot2)
        await type_into(pilot2, "#title", "Added on the desktop")
        await pilot2.press("ctrl+s")
        await settle(pilot2)
        await pilot1.press("f5")
        await settle(pilot1)
        assert titles(app1) == ["Added on the desktop", "Shared login"]


async def test_polling_rereads_the_vault_only_when_it_changed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services.vault import VaultService

    seed(settings, ItemDraft("First"))
    reads: list[bool] = []
    original = VaultService.list_checked

    def counting(self, active, *, trash=False):  # type: ignore[no-untyped-def]
        reads.append(trash)
        return original(self, active, trash=trash)

    monkeypatch.setattr(VaultService, "list_checked", counting)
    async with vault_app(settings) as (app, pilot):
        assert reads == [False]
        app.refresh_vault()  # as the minute timer and regaining focus do
        await settle(pilot)
        assert reads == [False]
        other = Backend(settings, device_label="other")
        active = other.accounts().login("alice", STRONG_PASSWORD, remember=False)
        other.vault().add(active, ItemDraft("Second"))
        other.close()
        app.refresh_vault()
        await settle(pilot)
        assert reads == [False, False]
        assert titles(app) == ["First", "Second"]


async def test_the_list_comes_first_and_its_search_index_after(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from app.core.search import Index

    seed(settings, *(ItemDraft(f"Item {n}", username=f"user{n}") for n in range(5)))
    events: list[str] = []
    original_items, original_index = VaultScreen.set_items, VaultScreen.set_index
    original_build = Index.__init__
    built_on: list[str] = []

    def build(self, items):  # type: ignore[no-untyped-def]
        built_on.append(threading.current_thread().name)
        original_build(self, items)

    def set_items(self, items, *, trash, select=None):  # type: ignore[no-untyped-def]
        original_items(self, items, trash=trash, select=select)
        if self._composed:
            events.append(f"items:{len(items)}:{self._index is None}")

    def set_index(self, items, index):  # type: ignore[no-untyped-def]
        original_index(self, items, index)
        events.append(f"index:{len(index.items)}")

    monkeypatch.setattr(VaultScreen, "set_items", set_items)
    monkeypatch.setattr(VaultScreen, "set_index", set_index)
    monkeypatch.setattr(Index, "__init__", build)
    async with vault_app(settings) as (app, pilot):
        assert events == ["items:5:True", "index:5"]
        screen = app.screen
        assert isinstance(screen, VaultScreen)
        assert isinstance(screen._index, Index)
        assert str(screen.query_one("#counts").render()) == "5 items in your vault"
        # A search typed before the index arrives waits for it, and is answered when it comes.
        screen._index = None
        await type_into(pilot, "#search", "user3")
        assert titles(app) == [f"Item {n}" for n in range(5)]
        assert str(screen.query_one("#counts").render()) == "Searching 5 items…"
        app.index_items(screen._items)
        await settle(pilot)
        assert titles(app) == ["Item 3"]
        assert str(screen.query_one("#counts").render()) == "1 of 5 items in your vault"
    # Never on the UI thread, where 10,000 items would freeze the screen for a keystroke.
    assert len(built_on) == 2
    assert threading.main_thread().name not in built_on

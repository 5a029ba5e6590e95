"""From the keyboard alone: every button reached by Tab, errors that keep what was right."""

from __future__ import annotations

from textual import events
from textual.widgets import Button, Checkbox, Input

from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from app.screens.account import ChangePasswordScreen
from app.screens.login import LoginScreen
from app.screens.vault import VaultScreen
from tests.helpers import STRONG_PASSWORD
from tests.pilot import screen_text, seed, settle, text_of, type_into


async def test_the_welcome_screens_log_out_button_is_reached_by_tab(settings: Settings) -> None:
    seed(settings, ItemDraft("Thing"))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        logout = app.screen.query_one("#logout", Button)
        for _ in range(6):
            if app.focused is logout:
                break
            await pilot.press("tab")
        assert app.focused is logout
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)


async def test_space_presses_the_focused_button_and_types_a_space_in_a_field(
    settings: Settings,
) -> None:
    seed(settings, ItemDraft("Thing"))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("a", "space", "b")
        assert app.screen.query_one("#title", Input).value == "a b"
        app.screen.query_one("#cancel", Button).focus()
        await pilot.press("space")  # Cancel: nothing was saved, so it asks first
        await settle(pilot)
        assert "Discard what you typed?" in screen_text(app)


async def test_keys_typed_faster_than_the_screen_draws_land_in_their_fields(
    settings: Settings,
) -> None:
    """Auto-type ("name, Tab, password, Enter") sends every key at once: Tab must move focus
    before the next key is delivered."""
    seed(settings, ItemDraft("Thing"))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        # Posted without waiting between keys, as a terminal delivers a burst of input.
        for key in ["x", "tab", "y", "tab", "z"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        assert app.screen.query_one("#title", Input).value == "x"
        assert app.screen.query_one("#username", Input).value == "y"
        assert app.screen.query_one("#password", Input).value == "z"


async def test_ctrl_s_right_after_typing_saves_every_key_typed(settings: Settings) -> None:
    """A paste or a fast typist: Ctrl+S (a priority binding) arrives while the title field has
    not yet taken the keys before it; the saved title still has all of them."""
    seed(settings, ItemDraft("Thing"))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        for key in [*"GitHub", "ctrl+s"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert app.active is not None
        titles = [item.title for item in app.backend.vault().list_items(app.active)]
        assert titles == ["GitHub", "Thing"]


async def test_every_button_of_the_item_form_is_reached_by_tab(settings: Settings) -> None:
    seed(settings, ItemDraft("Thing"))
    app = make_app(settings)
    async with app.run_test(size=(120, 48)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        buttons = set(app.screen.query(Button))
        reached = set()
        for _ in range(30):
            await pilot.press("tab")
            if isinstance(app.focused, Button):
                reached.add(app.focused)
        assert reached == buttons


async def test_change_password_keeps_what_was_right(settings: Settings) -> None:
    seed(settings, ItemDraft("Thing"))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.show_change_password()
        await settle(pilot)
        assert isinstance(app.screen, ChangePasswordScreen)
        # Enter in the current password moves on; it does not submit a half-filled form.
        await type_into(pilot, "#current", STRONG_PASSWORD)
        await pilot.press("enter")
        assert app.focused is app.screen.query_one("#new", Input)
        assert not str(app.screen.query_one("#error").render())
        # A new password that is too short: the message names it, the current one stays.
        await type_into(pilot, "#new", "short")
        await type_into(pilot, "#confirm", "short")
        await pilot.press("enter")
        await settle(pilot)
        assert "The new password" in text_of(app, "#error")
        assert app.screen.query_one("#current", Input).value == STRONG_PASSWORD
        assert app.focused is app.screen.query_one("#new", Input)
        # A wrong current password: that field goes, the new ones stay.
        await type_into(pilot, "#current", "not the current one")
        await type_into(pilot, "#new", "a brand new master passphrase")
        await type_into(pilot, "#confirm", "a brand new master passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert "current password is wrong" in text_of(app, "#error")
        assert app.screen.query_one("#current", Input).value == ""
        assert app.screen.query_one("#new", Input).value == "a brand new master passphrase"
        assert app.focused is app.screen.query_one("#current", Input)


async def test_revoking_a_session_asks_first_and_an_empty_list_is_no_error(
    settings: Settings,
) -> None:
    from textual.widgets import Static

    from app.screens.account import SessionsScreen
    from app.screens.confirm import ConfirmScreen

    seed(settings, ItemDraft("Thing"))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.show_sessions()
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "this device's own session" in str(app.screen.query_one("#question").render())
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SessionsScreen)
        assert len(dialog.sessions) == 1  # nothing revoked
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert dialog.sessions == []
        assert not dialog.query_one("#error", Static).display
        empty = dialog.query_one("#empty", Static)
        assert empty.display
        assert "No remembered sessions" in str(empty.render())


async def test_after_registering_the_login_form_is_ready_before_it_is_drawn(
    settings: Settings,
) -> None:
    """From a login form that showed another name: the new account's name, and the cursor in
    the password, from the first frame; keys typed at once land there."""
    seed(settings, ItemDraft("Thing"))  # alice, with a remembered session
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")  # log out: the login form shows alice
        await settle(pilot)
        assert app.screen.query_one("#username", Input).value == "alice"
        await pilot.press("ctrl+n")
        await settle(pilot)
        await type_into(pilot, "#username", "bob")
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await type_into(pilot, "#confirm", STRONG_PASSWORD)
        # No Secret Key (on by default for a shared database): its kit would come first.
        app.screen.query_one("#secret-key", Checkbox).value = False
        await pilot.press("enter")
        # Wait only for the new screen, not for anything after it.
        for _ in range(500):
            if isinstance(app.screen, LoginScreen):
                break
            await pilot.pause(0.01)
        assert isinstance(app.screen, LoginScreen)
        for key in "abc":
            app.post_message(events.Key(key, key))
        await settle(pilot)
        assert app.screen.query_one("#username", Input).value == "bob"
        assert app.screen.query_one("#password", Input).value == "abc"


async def test_ctrl_r_reveals_the_password_fields_of_the_master_password_dialogs(
    settings: Settings,
) -> None:
    seed(settings, ItemDraft("Thing"))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.show_change_password()
        await settle(pilot)
        fields = list(app.screen.query(Input))
        assert fields
        assert all(field.password for field in fields)
        await pilot.press("ctrl+r")
        assert not any(field.password for field in fields)
        await pilot.press("ctrl+r")
        assert all(field.password for field in fields)


async def test_search_box_keys_and_the_cursor_after_trashing(settings: Settings) -> None:
    seed(settings, *(ItemDraft(f"Site {n}") for n in range(1, 6)))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, VaultScreen)
        search = screen.query_one("#search", Input)
        await pilot.press("slash", "question_mark")
        assert search.value == "?"  # typed, not the help page
        footer = {key.binding.key for key in screen.active_bindings.values() if key.binding.show}
        assert "question_mark" not in footer  # and the footer does not offer it there
        search.value = ""  # the cursor is still in the search box
        await pilot.press(*"site", "down")
        await settle(pilot)
        assert app.focused is screen.query_one("#items")  # Down: to the results
        assert search.value == "site"
        await pilot.press("escape")  # Esc in the list clears the search
        await settle(pilot)
        assert search.value == ""
        # The cursor on the third item; after trashing it, it stays in the same place.
        await pilot.press("down", "down")
        assert screen.highlighted is not None
        assert screen.highlighted.title == "Site 3"
        await pilot.press("d", "ctrl+d")
        await settle(pilot)
        assert screen.highlighted is not None
        assert screen.highlighted.title == "Site 4"


async def test_a_paste_on_the_list_is_a_search_and_on_a_button_a_notice(
    settings: Settings,
) -> None:
    """A terminal's paste (bracketed) outside a text field: on the list it is a search (its
    first line); on a button it is not taken, and a notice says where the cursor is."""
    from app.widgets.item_list import ItemList

    seed(settings, ItemDraft("Bank"), ItemDraft("Dry cleaning"))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, VaultScreen)
        assert isinstance(screen.focused, ItemList)
        app.post_message(events.Paste("dry\nsecond line"))
        await settle(pilot)
        search = screen.query_one("#search", Input)
        assert search.value == "dry"
        assert app.focused is search
        assert [item.title for item in screen.query_one(ItemList).items] == ["Dry cleaning"]
        await pilot.press(*" c")  # the cursor after the text: typing goes on with it
        assert search.value == "dry c"
        screen.query_one("#logout", Button).focus()
        await settle(pilot)
        app.post_message(events.Paste("correct horse"))
        await settle(pilot)
        assert app.screen is screen
        notices = [str(notice.message) for notice in app._notifications]
        assert notices == ["Focus is on the Log out button: typing goes to a field"]

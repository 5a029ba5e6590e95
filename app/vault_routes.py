"""The App's vault half: item workers, the clipboard, lock and auto-lock, refresh, account dialogs.

A mixin of StrongroomApp (app/app.py), kept apart so that neither file grows past one sitting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

if TYPE_CHECKING:
    # The vault's screens load on first use, not on the way to the login form's first frame;
    # their messages reach the handlers below by name (on_vault_screen_reload, ...).
    from app.backend import Backend
    from app.controllers.accounts import ActiveSession, SessionInfo
    from app.items import HistoryEntry, Item, ItemDraft
    from app.passwords import PasswordPolicy
    from app.screens.account import ChangePasswordScreen, DeleteAccountScreen, SessionsScreen
    from app.screens.conflict import Choice
    from app.screens.item_form import ItemFormScreen
    from app.screens.unlock import UnlockScreen
    from app.screens.vault import VaultScreen
    from app.search import Index

REFRESH_SECONDS = 60.0
VAULT_SHOW_WAIT = 0.3  # longest wait for the list before the vault screen goes up without it
FIRST_PAINT_WAIT = 0.3  # longest wait for a new list to be drawn before indexing it
OFFLINE_RETRY_SECONDS = 5.0

# Every vault action is in the command palette too (title, help, VaultScreen method).
VAULT_COMMANDS = [
    ("Add item", "Open the form for a new item (Ctrl+N)", "action_add"),
    ("Edit item", "Edit the selected item (Enter)", "action_edit"),
    ("Delete item", "Move the selected item to the trash (Delete)", "action_delete"),
    ("Search", "Search titles, usernames, URLs and tags (/)", "action_search"),
    ("Copy username", "Copy the selected item's username (Ctrl+B)", "action_copy_username"),
    ("Copy password", "Copy the selected item's password (Ctrl+C)", "action_copy_password"),
    ("Copy URL", "Copy the selected item's URL (Ctrl+U)", "action_copy_url"),
    ("Copy TOTP code", "Copy the selected item's current code (Ctrl+T)", "action_copy_totp"),
    ("Show or hide password", "Reveal the password for 20 seconds (Ctrl+R)", "action_reveal"),
    ("Password history", "Show the item's earlier passwords (H)", "action_history"),
    ("Trash", "Switch between the vault and the trash (T)", "action_toggle_trash"),
    ("Restore item", "Restore the selected item from the trash (U)", "action_restore"),
    ("Password generator", "Generate a password and copy it (Ctrl+G)", "action_generator"),
    ("Refresh", "Load changes made on other devices (F5)", "action_refresh"),
    ("Log out", "End this device's session (Ctrl+O)", "action_logout"),
    ("Keys", "Every key on one page (? or F1)", "action_help"),
]


class VaultRoutes(App[None]):
    backend: Backend
    active: ActiveSession | None
    idle_clock: Callable[[], float] = time.monotonic

    @dataclass
    class ItemsLoaded(Message):
        items: list[Item]
        trash: bool
        select: int | None = None

    @dataclass
    class SearchIndexed(Message):
        items: list[Item]
        index: Index

    @dataclass
    class ItemSaved(Message):
        form: ItemFormScreen
        item: Item

    @dataclass
    class SaveConflict(Message):
        form: ItemFormScreen
        draft: ItemDraft
        current: Item | None

    @dataclass
    class HistoryLoaded(Message):
        item_id: int
        entries: list[HistoryEntry]

    @dataclass
    class Unlocked(Message):
        session: ActiveSession

    @dataclass
    class SessionsLoaded(Message):
        sessions: list[SessionInfo]
        form: SessionsScreen | None = None

    @dataclass
    class DialogDone(Message):
        form: ChangePasswordScreen | DeleteAccountScreen
        text: str

    def _init_vault_routes(self) -> None:
        self._last_input = self.idle_clock()
        self._clipboard_timer: Timer | None = None
        self._clipboard_armed = False
        self._fingerprint: tuple[int, int, int] | None = None
        self._vault_to_show: VaultScreen | None = None
        self._first_paint = threading.Event()  # set when a new list has been drawn
        self.database_offline = False

    @property
    def unlocked(self) -> bool:
        return self.active is not None and bool(self.active.vault_key)

    def vault_screen(self) -> VaultScreen | None:
        from app.screens.vault import VaultScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, VaultScreen):
                return screen
        return None

    def open_vault(self, session: ActiveSession, notice: str | None = None) -> None:
        """Show the vault for an unlocked session, filled by a worker.

        The screen goes up with its list, or after VAULT_SHOW_WAIT if reading takes longer.
        Drawing it while the rows are still being read would only slow both:
        SQLite hands back the GIL at every row, and the UI thread, busy laying out the new
        screen, then keeps it for a whole switch interval each time.
        """
        from app.passwords import PasswordPolicy
        from app.screens.vault import VaultScreen

        self.active = session
        self._last_input = self.idle_clock()
        security = self.backend.settings.security

        policy = PasswordPolicy(min_length=8, max_length=security.max_password_length)
        self._vault_to_show = VaultScreen(session.username, notice=notice, policy=policy)
        self.set_timer(VAULT_SHOW_WAIT, self._show_vault)
        self.load_items(trash=False, purge=True)

    def _show_vault(self) -> None:
        """Put up the vault screen that open_vault prepared, once."""
        screen, self._vault_to_show = self._vault_to_show, None
        if screen is not None and self.unlocked:
            self._show(screen)

    def _show(self, screen: Screen[None]) -> None:
        """Replace the current screen (the start-up view stays at the bottom of the stack)."""
        while len(self.screen_stack) > 2:
            self.pop_screen()  # dialogs over the screen being replaced
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def account_policy(self) -> PasswordPolicy:
        """The master-password rules from the settings."""
        from app.passwords import PasswordPolicy

        security = self.backend.settings.security
        return PasswordPolicy(security.min_password_length, security.max_password_length)

    # -- workers -----------------------------------------------------------------------------

    def _session(self) -> ActiveSession:
        if self.active is None or not self.active.vault_key:
            raise VaultLocked
        return self.active

    @work(thread=True, exclusive=True, group="vault-load", exit_on_error=False)
    def load_items(
        self, trash: bool, select: int | None = None, purge: bool = False, poll: bool = False
    ) -> None:
        """Read the vault (or the trash); with ``poll``, only if it changed since the last read."""
        session = self._session()
        vault = self.backend.vault()
        fingerprint = vault.fingerprint(session)
        if poll and fingerprint == self._fingerprint and not self.database_offline:
            return
        self._fingerprint = fingerprint
        self._hand_over(vault.list_items(session, trash=trash), trash, select)
        if purge and vault.purge_expired(session):
            # After the list is on its way: only items 30 days in the trash go, which the
            # vault view does not show.
            self._fingerprint = vault.fingerprint(session)

    @work(thread=True, group="vault", exit_on_error=False)
    def save_item(
        self, form: ItemFormScreen, draft: ItemDraft, item_id: int | None, version: int | None
    ) -> None:
        from app.items import EditConflict

        session, vault = self._session(), self.backend.vault()
        try:
            if item_id is None or version is None:
                item = vault.add(session, draft)
            else:
                item = vault.update(session, item_id, version, draft)
        except EditConflict as conflict:
            self.post_message(self.SaveConflict(form, draft, conflict.current))
            return
        self.post_message(self.ItemSaved(form, item))

    @work(thread=True, group="vault", exit_on_error=False)
    def item_action(self, kind: str, item: Item) -> None:
        session, vault = self._session(), self.backend.vault()
        if kind == "history":
            self.post_message(self.HistoryLoaded(item.id, vault.history(session, item.id)))
            return
        if kind == "trash":
            vault.trash(session, item.id)
        elif kind == "restore":
            vault.restore(session, item.id)
        elif kind == "purge":
            vault.purge(session, item.id)
        trash = kind in ("restore", "purge")  # both happen in the trash view
        self._hand_over(vault.list_items(session, trash=trash), trash)

    def _hand_over(self, items: list[Item], trash: bool, select: int | None = None) -> None:
        """From a worker: give the screen the list, then build its search index.

        The list goes first and is drawn at once (its rows open their own fields); the index,
        which opens every item's username, URLs and tags, is built here afterwards, once the UI
        thread has drawn the list: the two would otherwise take turns at the GIL.
        """
        from app.memory import collector_paused
        from app.search import Index

        self._first_paint.clear()
        self.post_message(self.ItemsLoaded(items, trash, select))
        self._first_paint.wait(FIRST_PAINT_WAIT)
        if not get_current_worker().is_cancelled:
            with collector_paused():  # the fields the index opens are long-lived too
                index = Index(items)
            self.post_message(self.SearchIndexed(items, index))

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def unlock_vault(self, password: str) -> None:
        assert self.active is not None
        session = self.backend.accounts().unlock(
            self.active.user_id, self.active.session_id, password
        )
        self.post_message(self.Unlocked(session))

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def load_sessions(self, form: SessionsScreen | None = None, revoke: int | None = None) -> None:
        session, accounts = self._session(), self.backend.accounts()
        if revoke is not None:
            accounts.revoke_session(session, revoke)
            if revoke == session.session_id:
                self.active = replace(session, session_id=None)
        self.post_message(self.SessionsLoaded(accounts.list_sessions(session), form))

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def change_password(
        self, form: ChangePasswordScreen, current: str, new: str, confirm: str
    ) -> None:
        self.backend.accounts().change_password(self._session(), current, new, confirm)
        self.post_message(
            self.DialogDone(form, "Master password changed. Other devices must log in again.")
        )

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def delete_account(self, form: DeleteAccountScreen, password: str) -> None:
        self.backend.accounts().delete_account(self._session(), password)
        self.post_message(self.DialogDone(form, "Your account and vault have been deleted."))

    # -- what the vault screens ask for ------------------------------------------------------

    def on_vault_screen_reload(self, message: VaultScreen.Reload) -> None:
        self.load_items(trash=message.trash)

    def on_vault_screen_item_action(self, message: VaultScreen.ItemAction) -> None:
        self.item_action(message.kind, message.item)

    def on_vault_screen_copy(self, message: VaultScreen.Copy) -> None:
        self.copy_secret(message.value, message.what)

    def on_vault_screen_lock(self, message: VaultScreen.Lock) -> None:
        self.lock_vault()

    def on_item_form_screen_save(self, message: ItemFormScreen.Save) -> None:
        self.save_item(message.form, message.draft, message.item_id, message.version)

    def on_unlock_screen_submitted(self, message: UnlockScreen.Submitted) -> None:
        self.unlock_vault(message.password)

    def on_sessions_screen_revoke(self, message: SessionsScreen.Revoke) -> None:
        self.load_sessions(message.form, message.session_id)

    def on_change_password_screen_submitted(self, message: ChangePasswordScreen.Submitted) -> None:
        self.change_password(message.form, message.current, message.new, message.confirm)

    def on_delete_account_screen_submitted(self, message: DeleteAccountScreen.Submitted) -> None:
        self.delete_account(message.form, message.password)

    # -- what the workers report -------------------------------------------------------------

    @on(ItemsLoaded)
    def _items_loaded(self, message: ItemsLoaded) -> None:
        self.database_offline = False
        self._show_vault()
        screen = self.vault_screen()
        if screen is not None and self.unlocked:
            screen.set_items(message.items, trash=message.trash, select=message.select)
            self.call_after_refresh(self._first_paint.set)
        else:
            self._first_paint.set()

    @on(SearchIndexed)
    def _search_indexed(self, message: SearchIndexed) -> None:
        screen = self.vault_screen()
        if screen is not None and self.unlocked:
            screen.set_index(message.items, message.index)

    @on(ItemSaved)
    def _item_saved(self, message: ItemSaved) -> None:
        if message.form.is_attached:
            message.form.dismiss(None)
        self.notify(f"Saved {message.item.title!r}.", markup=False)
        self.load_items(trash=False, select=message.item.id)

    @on(SaveConflict)
    def _save_conflict(self, message: SaveConflict) -> None:
        from app.screens.conflict import ConflictScreen

        form = message.form

        def chosen(choice: Choice | None) -> None:
            if choice == "mine":
                if message.current is None:
                    self.save_item(form, message.draft, None, None)
                else:
                    form.rebase(message.current)
                    self.save_item(form, message.draft, message.current.id, message.current.version)
            elif choice == "theirs":
                form.dismiss(None)
                self.load_items(trash=False, select=message.current.id if message.current else None)
            else:
                form.set_busy(False)

        self.push_screen(ConflictScreen(message.draft, message.current), chosen)

    @on(HistoryLoaded)
    def _history_loaded(self, message: HistoryLoaded) -> None:
        screen = self.vault_screen()
        if screen is not None:
            screen.show_history(message.item_id, message.entries)

    @on(Unlocked)
    def _unlocked(self, message: Unlocked) -> None:
        self.open_vault(message.session)

    @on(SessionsLoaded)
    def _sessions_loaded(self, message: SessionsLoaded) -> None:
        from app.screens.account import SessionsScreen

        if message.form is not None and message.form.is_attached:
            message.form.show_sessions(message.sessions)
        else:
            self.push_screen(SessionsScreen(message.sessions))

    @on(DialogDone)
    def _dialog_done(self, message: DialogDone) -> None:
        from app.screens.account import DeleteAccountScreen

        if message.form.is_attached:
            message.form.dismiss(None)
        self.notify(message.text, markup=False)
        if isinstance(message.form, DeleteAccountScreen):
            self.after_account_deleted()

    def after_account_deleted(self) -> None:
        from app.screens.register import RegisterScreen

        self.active = None
        self.clear_clipboard()
        self._show(RegisterScreen(self.account_policy(), can_go_back=False))

    # -- clipboard ---------------------------------------------------------------------------

    def copy_secret(self, value: str, what: str) -> None:
        """Copy through the terminal (OSC 52, so it works over SSH) and clear it later."""
        seconds = self.backend.settings.security.clipboard_clear_seconds
        self.copy_to_clipboard(value)
        self._clipboard_armed = True
        if self._clipboard_timer is not None:
            self._clipboard_timer.stop()
        self._clipboard_timer = self.set_timer(seconds, self.clear_clipboard)
        self.notify(f"Copied the {what}. The clipboard is cleared in {seconds} s.", markup=False)

    def clear_clipboard(self) -> None:
        if self._clipboard_armed:
            self.copy_to_clipboard("")
            self._clipboard_armed = False
        if self._clipboard_timer is not None:
            self._clipboard_timer.stop()
            self._clipboard_timer = None

    # -- lock, auto-lock, refresh --------------------------------------------------------------

    def lock_vault(self, reason: str | None = None) -> None:
        """Drop the vault key and every decrypted item; the session stays for unlocking."""
        from app.screens.unlock import UnlockScreen
        from app.screens.vault import VaultScreen

        if not self.unlocked or self.active is None:
            return
        self.clear_clipboard()
        self.active = replace(self.active, vault_key=b"")
        screen = self.vault_screen()
        if screen is not None:
            screen.clear_secrets()
        while len(self.screen_stack) > 2 and not isinstance(self.screen, VaultScreen):
            self.pop_screen()
        self._show(UnlockScreen(self.active.username, notice=reason))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event,
            events.Key
            | events.MouseDown
            | events.MouseScrollDown
            | events.MouseScrollUp
            | events.Paste,
        ):
            self._last_input = self.idle_clock()
        await super().on_event(event)

    def lock_if_idle(self) -> None:
        """Lock when nothing was typed or clicked for the configured time."""
        limit = self.backend.settings.security.auto_lock_minutes * 60
        if self.unlocked and self.idle_clock() - self._last_input >= limit:
            minutes = self.backend.settings.security.auto_lock_minutes
            self.lock_vault(f"Locked after {minutes} minutes without input.")

    def refresh_vault(self) -> None:
        """Pick up changes made on other devices, unless a dialog is open over the vault."""
        screen = self.vault_screen()
        if self.unlocked and screen is not None and self.screen is screen and screen.loaded:
            self.load_items(trash=screen.showing_trash, poll=True)

    def database_lost(self, text: str) -> None:
        """A background read failed: say so on the vault screen and keep retrying."""
        self._show_vault()
        screen = self.vault_screen()
        if screen is not None:
            screen.show_offline(f"{text} Retrying every {OFFLINE_RETRY_SECONDS:.0f} seconds.")
        if not self.database_offline:
            self.notify(text, severity="error", markup=False)
        self.database_offline = True
        self.set_timer(OFFLINE_RETRY_SECONDS, self.refresh_vault)

    def on_app_focus(self, event: events.AppFocus) -> None:
        self.refresh_vault()

    def start_vault_timers(self) -> None:
        self.set_interval(5.0, self.lock_if_idle)
        self.set_interval(REFRESH_SECONDS, self.refresh_vault)

    # -- the command palette --------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        from app.screens.account import DeleteAccountScreen
        from app.screens.vault import VaultScreen

        yield from super().get_system_commands(screen)
        if not self.unlocked:
            return
        if isinstance(screen, VaultScreen):
            for title, help_text, action in VAULT_COMMANDS:
                yield SystemCommand(title, help_text, getattr(screen, action))
        yield SystemCommand(
            "Lock the vault", "Forget the vault key until you unlock", self.lock_vault
        )
        yield SystemCommand(
            "Remembered sessions",
            "See and revoke the devices that stay logged in",
            self.load_sessions,
        )
        yield SystemCommand(
            "Change master password",
            "Re-wrap the vault key under a new password",
            self.show_change_password,
        )
        yield SystemCommand(
            "Delete account",
            "Remove the account and every item, for good",
            lambda: self.push_screen(DeleteAccountScreen()),
        )

    def show_change_password(self) -> None:
        from app.screens.account import ChangePasswordScreen

        if self.active is not None:
            self.push_screen(ChangePasswordScreen(self.active.username, self.account_policy()))


class VaultLocked(Exception):
    def __init__(self) -> None:
        super().__init__("The vault is locked. Unlock it and try again.")
        self.message = str(self)

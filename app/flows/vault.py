"""The App's vault flow: the list and its search index, saving and trashing items, lock and
auto-lock, and picking up other devices' changes.

Every new list comes through :meth:`VaultFlow.reload_list`, the one sender: each request gets a
generation number, and a list that arrives after a newer one was asked for is dropped, so an
older read (a poll, say) can never replace what a trash or save just showed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.message import Message
from textual.worker import WorkerFailed, get_current_worker

from app.core.errors import EditConflict
from app.flows.base import Flow
from app.screens import messages
from app.widgets.literal import visible_text

if TYPE_CHECKING:
    from app.core.accounts import ActiveSession
    from app.core.held_edit import HeldEdit
    from app.core.items import HistoryEntry, Item, ItemDraft
    from app.core.search import Index
    from app.screens.conflict import Choice
    from app.screens.item_form import ItemFormScreen
    from app.screens.vault import VaultScreen

Fingerprint = tuple[int, int, int]

REFRESH_SECONDS = 60.0
OFFLINE_RETRY_SECONDS = 5.0
IDLE_CHECK_SECONDS = 5.0
# The vault screen goes up with its list, or after this long if reading takes longer. Drawing
# it while the rows are still being read would only slow both: SQLite hands back the GIL at
# every row, and the UI thread, busy laying out the new screen, keeps it a whole switch
# interval each time.
VAULT_SHOW_WAIT = 0.3


class VaultFlow(Flow):
    @dataclass(eq=False, repr=False)
    class ItemsLoaded(Message):
        items: list[Item]
        trash: bool
        select: int | None
        generation: int
        fingerprint: Fingerprint

    @dataclass(eq=False, repr=False)
    class Fingerprinted(Message):
        fingerprint: Fingerprint
        generation: int

    @dataclass(eq=False, repr=False)
    class SearchIndexed(Message):
        items: list[Item]
        index: Index

    @dataclass(eq=False, repr=False)
    class ItemSaved(Message):
        form: ItemFormScreen
        item: Item

    @dataclass(eq=False, repr=False)
    class SaveConflict(Message):
        form: ItemFormScreen
        draft: ItemDraft
        current: Item | None

    @dataclass(eq=False, repr=False)
    class ItemChanged(Message):
        trash: bool  # which view it happened in
        done: str  # what happened, in words

    @dataclass(eq=False, repr=False)
    class HistoryLoaded(Message):
        item_id: int
        entries: list[HistoryEntry]

    idle_clock: Callable[[], float] = time.monotonic  # for auto-lock; tests set their own

    def init_vault_flow(self) -> None:
        self.database_offline = False
        self._last_input = self.idle_clock()
        self._fingerprint: Fingerprint | None = None
        self._list_generation = 0
        self._vault_to_show: VaultScreen | None = None
        self.held_edit: HeldEdit | None = None  # an unsaved edit, sealed while locked

    # -- opening the vault -----------------------------------------------------------------------

    def open_vault(self, session: ActiveSession, notice: str | None = None) -> None:
        """Show the vault for an unlocked session, filled by a worker (see VAULT_SHOW_WAIT)."""
        from app.core.rules import ITEM_PASSWORD_POLICY
        from app.screens.vault import VaultScreen

        self.active = session
        self._last_input = self.idle_clock()
        self._vault_to_show = VaultScreen(
            session.username, notice=notice, policy=ITEM_PASSWORD_POLICY
        )
        self.set_timer(VAULT_SHOW_WAIT, self._show_vault)
        self.reload_list(trash=False, purge=True)

    def _show_vault(self) -> None:
        """Put up the vault screen that open_vault prepared, once."""
        screen, self._vault_to_show = self._vault_to_show, None
        if screen is not None and self.unlocked:
            self.show(screen)

    def reload_list(
        self, *, trash: bool, select: int | None = None, purge: bool = False, poll: bool = False
    ) -> None:
        """Ask for a new list: the one way a list reaches the vault screen."""
        self._list_generation += 1
        unchanged = self._fingerprint if poll and not self.database_offline else None
        self.load_items(trash, self._list_generation, select, purge, unchanged)

    # -- workers -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="vault-load", exit_on_error=False)
    def load_items(
        self,
        trash: bool,
        generation: int,
        select: int | None,
        purge: bool,
        unless_fingerprint: Fingerprint | None,
    ) -> None:
        """Read the vault (or the trash); with a fingerprint, only if it has moved since."""
        session, vault = self.session(), self.backend.vault()
        fingerprint = vault.fingerprint(session)
        if fingerprint == unless_fingerprint:
            return
        items = vault.list_items(session, trash=trash)
        self.post_message(self.ItemsLoaded(items, trash, select, generation, fingerprint))
        if purge and vault.purge_expired(session):
            # After the list is on its way: only items 30 days in the trash go, which the
            # vault view does not show.
            self.post_message(self.Fingerprinted(vault.fingerprint(session), generation))

    @work(thread=True, exclusive=True, group="search-index", exit_on_error=False)
    def index_items(self, items: list[Item]) -> None:
        """Build the search index once the list is drawn: it opens every item's username,
        URLs and tags, which would otherwise take turns at the GIL with the first paint."""
        from app.core.memory import collector_paused
        from app.core.search import Index

        with collector_paused():  # the fields the index opens are long-lived too
            index = Index(items)
        if not get_current_worker().is_cancelled:
            self.post_message(self.SearchIndexed(items, index))

    @work(thread=True, group="vault", exit_on_error=False)
    def save_item(
        self, form: ItemFormScreen, draft: ItemDraft, item_id: int | None, version: int | None
    ) -> None:
        session, vault = self.session(), self.backend.vault()
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
    def item_action(self, kind: messages.ItemActionKind, item: Item) -> None:
        session, vault = self.session(), self.backend.vault()
        if kind == "history":
            self.post_message(self.HistoryLoaded(item.id, vault.history(session, item.id)))
            return
        title = visible_text(item.title)
        if kind == "trash":
            vault.trash(session, item.id)
            done = f"Moved {title!r} to the trash (t shows the trash)."
        elif kind == "restore":
            vault.restore(session, item.id)
            done = f"Restored {title!r} to the vault."
        else:
            vault.purge(session, item.id)
            done = f"Deleted {title!r} for good."
        self.post_message(self.ItemChanged(kind in ("restore", "purge"), done))

    # -- what the vault screens ask for ------------------------------------------------------

    @on(messages.Reload)
    def _reload(self, message: messages.Reload) -> None:
        self.reload_list(trash=message.trash)

    @on(messages.ItemAction)
    def _item_action(self, message: messages.ItemAction) -> None:
        self.asked(self.item_action(message.kind, message.item))

    @on(messages.Copy)
    def _copy(self, message: messages.Copy) -> None:
        self.clipboard_guard.copy(message.value)
        seconds = self.clipboard_guard.clear_seconds
        self.notify(
            f"Copied the {message.what}. The clipboard is cleared in {seconds} s.", markup=False
        )

    @on(messages.Lock)
    def _lock(self) -> None:
        self.lock_vault()

    @on(messages.SaveItem)
    def _save(self, message: messages.SaveItem) -> None:
        worker = self.save_item(message.form, message.draft, message.item_id, message.version)
        self.asked(worker, message.form)

    # -- what the workers report -------------------------------------------------------------

    @on(ItemsLoaded)
    def _items_loaded(self, message: ItemsLoaded) -> None:
        if message.generation != self._list_generation:
            return  # a newer list has been asked for
        self._fingerprint = message.fingerprint
        self.database_offline = False
        self._show_vault()
        screen = self.vault_screen()
        if screen is not None and self.unlocked:
            screen.set_items(message.items, trash=message.trash, select=message.select)
            self.call_after_refresh(self.index_items, message.items)
            if self.held_edit is not None and not message.trash:
                self.restore_held_edit(message.items)

    @on(Fingerprinted)
    def _fingerprinted(self, message: Fingerprinted) -> None:
        if message.generation == self._list_generation:
            self._fingerprint = message.fingerprint

    @on(SearchIndexed)
    def _search_indexed(self, message: SearchIndexed) -> None:
        screen = self.vault_screen()
        if screen is not None and self.unlocked:
            screen.set_index(message.items, message.index)

    @on(ItemSaved)
    def _item_saved(self, message: ItemSaved) -> None:
        if message.form.is_attached:
            message.form.dismiss(None)
        self.notify(f"Saved {visible_text(message.item.title)!r}.", markup=False)
        self.reload_list(trash=False, select=message.item.id)

    @on(ItemChanged)
    def _item_changed(self, message: ItemChanged) -> None:
        self.notify(message.done, markup=False)
        self.reload_list(trash=message.trash)

    @on(SaveConflict)
    def _save_conflict(self, message: SaveConflict) -> None:
        from app.screens.conflict import ConflictScreen

        form = message.form
        form.set_busy(False)  # nothing is being saved while the person chooses

        def chosen(choice: Choice | None) -> None:
            if choice == "mine":
                form.set_busy(True)
                if message.current is None:
                    self.asked(self.save_item(form, message.draft, None, None), form)
                else:
                    form.rebase(message.current)
                    current = message.current
                    worker = self.save_item(form, message.draft, current.id, current.version)
                    self.asked(worker, form)
            elif choice == "theirs":
                form.dismiss(None)
                self.reload_list(
                    trash=False, select=message.current.id if message.current else None
                )

        self.push_screen(ConflictScreen(message.draft, message.current), chosen)

    @on(HistoryLoaded)
    def _history_loaded(self, message: HistoryLoaded) -> None:
        screen = self.vault_screen()
        if screen is not None:
            screen.show_history(message.item_id, message.entries)

    # -- lock, auto-lock, refresh --------------------------------------------------------------

    def lock_vault(self, reason: str | None = None) -> None:
        """Drop the vault key and every decrypted item; the session stays for unlocking."""
        from app.screens.unlock import UnlockScreen
        from app.screens.vault import VaultScreen

        if not self.unlocked or self.active is None:
            return
        held = self.hold_open_edit(self.active.vault_key)
        self.clipboard_guard.clear()
        self.clear_notifications()  # "cleared in 30 s" and the like are about the open vault
        self.record_lock(self.active)
        self.active = replace(self.active, vault_key=b"")
        self._list_generation += 1  # a list still on its way is for the unlocked vault
        screen = self.vault_screen()
        if screen is not None:
            screen.clear_secrets()
        while len(self.screen_stack) > 2 and not isinstance(self.screen, VaultScreen):
            self.pop_screen()
        notice = reason or "Locked. The clipboard was cleared."
        if held:
            notice += " Your unsaved edit comes back when you unlock."
        self.show(UnlockScreen(self.active.username, notice=notice))

    def hold_open_edit(self, vault_key: bytes) -> bool:
        """Seal what an open item form holds, if anything was typed, before the key goes."""
        from app.core.held_edit import HeldEdit
        from app.screens.item_form import ItemFormScreen

        form = next((s for s in self.screen_stack if isinstance(s, ItemFormScreen)), None)
        if form is None or not form.dirty:
            return False
        item_id = form.item.id if form.item else None
        self.held_edit = HeldEdit.seal(vault_key, form.draft(), item_id, form.version)
        return True

    def restore_held_edit(self, items: list[Item]) -> None:
        """After unlocking: the item form again, as it was when the vault locked."""
        from app.core.crypto import CryptoError
        from app.core.rules import ITEM_PASSWORD_POLICY
        from app.screens.item_form import ItemFormScreen

        held, self.held_edit = self.held_edit, None
        if held is None or self.active is None:
            return
        try:
            draft = held.open(self.active.vault_key)
        except CryptoError:
            self.notify(
                "Your unsaved edit could not be reopened: the vault key changed meanwhile.",
                severity="warning",
            )
            return
        item = None
        if held.item_id is not None:
            item = next((i for i in items if i.id == held.item_id), None)
            if item is None:
                self.notify(
                    "The item you were editing is gone from the vault; saving adds it again.",
                    severity="warning",
                )
        form = ItemFormScreen(
            item, policy=ITEM_PASSWORD_POLICY, draft=draft, version=held.version if item else None
        )
        self.push_screen(form)
        if item is not None or held.item_id is None:
            self.notify("Your unsaved edit is back, as you left it.")

    @work(thread=True, group="lock", exit_on_error=False)
    def record_lock(self, session: ActiveSession) -> None:
        """Make the lock outlast this process (see AccountService.lock)."""
        self.backend.accounts().lock(session)

    async def finish_locking(self, timeout: float = 10.0) -> None:
        """Wait for a lock still being recorded (before quitting)."""
        pending = [w for w in self.workers if w.group == "lock" and w.is_running]
        if pending:
            with contextlib.suppress(TimeoutError, WorkerFailed):
                await asyncio.wait_for(asyncio.gather(*(w.wait() for w in pending)), timeout)

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
        minutes = self.backend.settings.security.auto_lock_minutes
        if self.unlocked and self.idle_clock() - self._last_input >= minutes * 60:
            self.lock_vault(f"Locked after {minutes} minutes without input.")

    def refresh_vault(self) -> None:
        """Pick up changes made on other devices, unless a dialog is open over the vault or a
        list is already on its way."""
        screen = self.vault_screen()
        if not (self.unlocked and screen is not None and self.screen is screen and screen.loaded):
            return
        if any(worker.group == "vault-load" and worker.is_running for worker in self.workers):
            return
        self.reload_list(trash=screen.showing_trash, poll=True)

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
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_if_idle)
        self.set_interval(REFRESH_SECONDS, self.refresh_vault)

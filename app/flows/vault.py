"""The App's vault flow: the list and its search index, saving and trashing items, and picking
up other devices' changes. Locking is the lock flow's (:mod:`app.flows.lock`).

Every new list comes through :meth:`VaultFlow.reload_list`, the one sender: each request gets a
generation number, and a list that arrives after a newer one was asked for is dropped, so an
older read (a poll, say) can never replace what a trash or save just showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from textual import events, on, work
from textual.message import Message
from textual.worker import get_current_worker

from app.core.errors import EditConflict, VaultRolledBack, VaultTampered
from app.flows.base import Flow
from app.screens import messages
from app.widgets.literal import visible_text

if TYPE_CHECKING:
    from app.core.accounts import ActiveSession
    from app.core.items import HistoryEntry, Item, ItemDraft
    from app.core.search import Index
    from app.screens.conflict import Choice
    from app.screens.item_form import ItemFormScreen
    from app.screens.vault import VaultScreen

Fingerprint = tuple[int, int, int]

REFRESH_SECONDS = 60.0
OFFLINE_RETRY_SECONDS = 5.0
# The vault screen goes up with its list, or after this long if reading takes longer. Drawing
# it while the rows are still being read would only slow both: SQLite hands back the GIL at
# every row, and the UI thread, busy laying out the new screen, keeps it a whole switch
# interval each time.
VAULT_SHOW_WAIT = 0.3
# Unless a form that was submitted to open the vault (log in, unlock) can say what goes on:
# then it says "Opening…" after VAULT_SHOW_WAIT, a label redrawn once, and the vault screen
# waits this long for its list (on MariaDB, 10,000 items take longer than VAULT_SHOW_WAIT).
VAULT_SHOW_LONG_WAIT = 2.0


class ReachesTheLock(Protocol):
    """What the vault flow needs from the lock flow, where it calls into it (``self`` is typed
    so there), with that method's own steps. StrongroomApp, which has both flows, fits."""

    def set_active(self, session: ActiveSession | None) -> None: ...

    def note_input(self) -> None: ...  # the lock flow's

    def restore_held_edit(self, items: list[Item]) -> None: ...  # the lock flow's

    def prepare_vault(self, session: ActiveSession, notice: str | None) -> None: ...

    def show_list(self, message: VaultFlow.ItemsLoaded) -> bool: ...


class VaultFlow(Flow):
    @dataclass(eq=False, repr=False)
    class ItemsLoaded(Message):
        items: list[Item]
        trash: bool
        select: int | None
        generation: int
        fingerprint: Fingerprint

    @dataclass(eq=False, repr=False)
    class IntegrityWarning(Message):
        """The vault does not match its integrity record, or is older than this device saw."""

        text: str
        rolled_back: bool

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

    def init_vault_flow(self) -> None:
        self.database_offline = False
        self._fingerprint: Fingerprint | None = None
        self._list_generation = 0
        self._vault_to_show: VaultScreen | None = None

    # -- opening the vault -----------------------------------------------------------------------

    def open_vault(self: ReachesTheLock, session: ActiveSession, notice: str | None = None) -> None:
        """Show the vault for an unlocked session, filled by a worker (see VAULT_SHOW_WAIT)."""
        self.set_active(session)
        self.note_input()
        self.prepare_vault(session, notice)

    def prepare_vault(self, session: ActiveSession, notice: str | None) -> None:
        """The vault screen, put up with its list or after VAULT_SHOW_WAIT (a busy form says
        "Opening…" then, and the screen waits VAULT_SHOW_LONG_WAIT), and the list."""
        from app.core.rules import ITEM_PASSWORD_POLICY
        from app.screens.busy import SaysBusy
        from app.screens.vault import VaultScreen

        self._vault_to_show = screen = VaultScreen(
            session.username, notice=notice, policy=ITEM_PASSWORD_POLICY
        )
        form = self.screen
        if isinstance(form, SaysBusy) and form.busy:

            def say_opening() -> None:
                if self._vault_to_show is screen and form.busy:
                    form.say_busy("Opening…")

            self.set_timer(VAULT_SHOW_WAIT, say_opening)
            self.set_timer(VAULT_SHOW_LONG_WAIT, self._show_vault)
        else:
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

    def reload_shown(self) -> None:
        """Read again the list the vault screen shows (after an import)."""
        screen = self.vault_screen()
        if self.unlocked and screen is not None:
            self.reload_list(trash=screen.showing_trash)

    # -- workers -----------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="vault-load",
        exit_on_error=False,
        description="load_items",
    )
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
        if unless_fingerprint is not None and vault.fingerprint(session) == unless_fingerprint:
            return
        warning = None
        try:
            # The fingerprint counted from the rows listed: the state the list shows.
            items, _, fingerprint = vault.list_checked(session, trash=trash)
        except VaultTampered as error:
            # Shown all the same, what does not match as damaged; and said in a dialog.
            items, fingerprint = error.items, vault.fingerprint(session)
            rolled_back = isinstance(error, VaultRolledBack)
            event = "rollback_detected" if rolled_back else "tampering_detected"
            damaged = ", ".join(f"item {item_id}" for item_id in error.damaged[:20])
            self.backend.security_log().record(event, session.username, damaged or None)
            warning = self.IntegrityWarning(error.message, rolled_back)
        self.post_message(self.ItemsLoaded(items, trash, select, generation, fingerprint))
        if warning is not None:  # after the list: the dialog goes over the vault screen
            self.post_message(warning)
        if purge and vault.purge_expired(session):
            # After the list is on its way: only items 30 days in the trash go, which the
            # vault view does not show.
            self.post_message(self.Fingerprinted(vault.fingerprint(session), generation))
        if purge and warning is None:
            self.warm_command_line(session)

    @work(
        thread=True,
        exclusive=True,
        group="search-index",
        exit_on_error=False,
        description="index_items",
    )
    def index_items(self, items: list[Item]) -> None:
        """Build the search index once the list is drawn: it opens every item's username,
        URLs and tags, which would otherwise take turns at the GIL with the first paint."""
        from app.core.memory import collector_paused
        from app.core.search import Index

        with collector_paused():  # the fields the index opens are long-lived too
            index = Index(items)
        if not get_current_worker().is_cancelled:
            self.post_message(self.SearchIndexed(items, index))

    @work(thread=True, group="vault", exit_on_error=False, description="save_item")
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

    @work(thread=True, group="vault", exit_on_error=False, description="item_action")
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

    @on(messages.SaveItem)
    def _save(self, message: messages.SaveItem) -> None:
        worker = self.save_item(message.form, message.draft, message.item_id, message.version)
        self.asked(worker, message.form)

    # -- what the workers report -------------------------------------------------------------

    @on(IntegrityWarning)
    def _integrity_warning(self, message: IntegrityWarning) -> None:
        """Say it once (a poll that finds the same again says nothing more)."""
        if getattr(self, "_integrity_said", None) == message.text:
            return
        self._integrity_said = message.text
        from app.screens.integrity import IntegrityScreen

        self.push_screen(IntegrityScreen(message.text, rolled_back=message.rolled_back))

    @on(ItemsLoaded)
    def _items_loaded(self: ReachesTheLock, message: ItemsLoaded) -> None:
        if self.show_list(message) and not message.trash:
            self.restore_held_edit(message.items)  # if an edit was held through a lock

    def show_list(self, message: ItemsLoaded) -> bool:
        """Show a list that came, unless a newer one was asked for; whether it was shown."""
        if message.generation != self._list_generation:
            return False  # a newer list has been asked for
        self._fingerprint = message.fingerprint
        self.database_offline = False
        self._show_vault()
        screen = self.vault_screen()
        if screen is None or not self.unlocked:
            return False
        screen.set_items(message.items, trash=message.trash, select=message.select)
        self.call_after_refresh(self.index_items, message.items)
        return True

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

    # -- refresh -----------------------------------------------------------------------------

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

    def start_refresh(self) -> None:
        self.set_interval(REFRESH_SECONDS, self.refresh_vault)

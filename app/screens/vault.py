"""The unlocked vault: welcome line, search, the item list and the selected item's details."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from app.core.items import HistoryEntry, Item
from app.core.passwords import PasswordPolicy
from app.core.search import Index
from app.core.totp import TotpError, totp_now
from app.core.totp import problem as totp_problem
from app.screens import messages
from app.screens.keys import VAULT_FOOTER_RANKS, VAULT_KEYS, bindings
from app.screens.messages import CopyKind, ItemActionKind
from app.widgets.footer import RankedFooter
from app.widgets.item_detail import ItemDetail
from app.widgets.item_list import ItemList
from app.widgets.literal import visible_text


class VaultScreen(Screen[None]):
    # The footer shows the everyday keys; every key is on the help page (? or F1), and every
    # action in the command palette.
    BINDINGS = bindings(VAULT_KEYS)

    ItemAction = messages.ItemAction
    Copy = messages.Copy
    Reload = messages.Reload
    Lock = messages.Lock
    Logout = messages.Logout

    def __init__(
        self, username: str, *, notice: str | None = None, policy: PasswordPolicy | None = None
    ) -> None:
        super().__init__()
        self.username = username
        self._notice = notice
        self._policy = policy
        self._items: list[Item] = []
        self._index: Index | None = None  # built off the UI thread, after the list is drawn
        self.showing_trash = False
        self.tag: str | None = None  # show only the items filed under this tag
        self.loaded = False
        self._arrived: tuple[list[Item], bool, int | None] | None = None
        self._composed = False  # its widgets exist (on_mount has begun)

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static(f"Welcome, {self.username}!", id="welcome", markup=False)
            yield Static("", id="counts", markup=False)
            yield Button("Log out", id="logout", compact=True)
        yield Static(self._notice or "", id="notice", classes="form-notice", markup=False)
        yield Input(placeholder="Search title, username, URL, tags  ( / )", id="search")
        with Horizontal(id="panes"):
            items = ItemList(id="items")
            items.border_title = "Vault"
            yield items
            # Focusable, so that long notes and the history scroll from the keyboard too.
            with VerticalScroll(id="detail-pane"):
                yield ItemDetail(id="detail")
        yield RankedFooter(VAULT_FOOTER_RANKS)

    def on_mount(self) -> None:
        self.query_one("#notice", Static).display = bool(self._notice)
        self.query_one(ItemList).focus()
        self._composed = True
        if self._arrived is not None:
            items, trash, select = self._arrived
            self._arrived = None
            self.set_items(items, trash=trash, select=select)
        self._show_counts()

    # -- what the App hands down ------------------------------------------------------------

    def set_items(self, items: list[Item], *, trash: bool, select: int | None = None) -> None:
        """New contents (unlock, refresh, after a save); the cursor goes to ``select``, or
        stays on the item it was on. Its search index follows (see :meth:`set_index`)."""
        if not self._composed:  # handed over before the screen was up: applied on mount
            self._arrived = (items, trash, select)
            return
        self.loaded = True
        if trash != self.showing_trash:
            self.showing_trash = trash
            self.set_class(trash, "-trash")
            self._show_title()
            self.refresh_bindings()  # the footer offers Restore in the trash, Add in the vault
        keep = select if select is not None else self.highlighted.id if self.highlighted else None
        self._items, self._index = items, None
        self._apply_search(keep)
        self._show_counts()

    def set_index(self, items: list[Item], index: Index) -> None:
        """The search index of ``items``, built off the UI thread; kept if they are still shown.

        A search typed before it arrived is answered now."""
        if items is self._items:
            self._index = index
            if self.query_one("#search", Input).value.strip():
                self._apply_search()
                self._show_counts()

    def show_history(self, item_id: int, entries: list[HistoryEntry]) -> None:
        detail = self.query_one(ItemDetail)
        if detail.item is not None and detail.item.id == item_id:
            detail.show_history(entries)
            # Below the notes it would be out of sight (at 80x24, almost always): the pane
            # scrolls to it once it is drawn.
            self.call_after_refresh(self._scroll_to_history)

    def _scroll_to_history(self) -> None:
        line = self.query_one(ItemDetail).history_line()
        if line is not None:
            self.query_one("#detail-pane").scroll_to(y=line, animate=False)

    def show_offline(self, text: str) -> None:
        """The database is away: what is on screen stays, and the counts line says why (once
        the screen has one: the first list may fail before the screen is composed)."""
        for counts in self.query("#counts").results(Static):
            counts.update(text)

    def clear_secrets(self) -> None:
        """Forget every decrypted item (on lock)."""
        self._items, self._index = [], None
        self.query_one(ItemList).set_items([])
        self.query_one(ItemDetail).show(None)

    # -- internals ---------------------------------------------------------------------------

    @property
    def highlighted(self) -> Item | None:
        return self.query_one(ItemList).highlighted

    def _apply_search(self, keep: int | None = None) -> None:
        query = self.query_one("#search", Input).value
        if query.strip():
            if self._index is None:  # still being built: set_index() answers the search
                return
            shown = self._index.search(query)
            empty = "No match. Esc clears the search."
        else:
            shown = self._items
            if self.showing_trash:
                empty = "The trash is empty."
            else:
                empty = "No items yet: Ctrl+N adds, Ctrl+P imports."
        if self.tag is not None:
            from app.screens.tags import carries

            tag = self.tag
            shown = [item for item in shown if not item.error and carries(item, tag)]
            empty = f"Nothing tagged {visible_text(tag)!r} here. Esc shows every item."
        self.query_one(ItemList).set_items(shown, keep_id=keep, empty_text=empty)

    def _show_title(self) -> None:
        title = "Trash" if self.showing_trash else "Vault"
        if self.tag is not None:
            title = f"{title} · {visible_text(self.tag)}"
        self.query_one(ItemList).border_title = title

    def show_tag(self, tag: str | None) -> None:
        """Show only the items filed under ``tag`` (None: every item)."""
        self.tag = tag or None
        self._show_title()
        self._apply_search(self.highlighted.id if self.highlighted else None)
        self._show_counts()

    def _show_counts(self) -> None:
        total = len(self._items)
        shown = len(self.query_one(ItemList).items)
        place = "in the trash (kept 30 days)" if self.showing_trash else "in your vault"
        noun = "item" if total == 1 else "items"
        text = f"{total} {noun} {place}" if shown == total else f"{shown} of {total} {noun} {place}"
        searching = self._index is None and self.query_one("#search", Input).value.strip()
        if searching and self.loaded:
            text = f"Searching {total} {noun}…"
        self.query_one("#counts", Static).update(text if self.loaded else "Opening…")

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        self._apply_search()
        self._show_counts()

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(ItemList).focus()

    @on(ItemList.Highlighted)
    def _highlighted(self, message: ItemList.Highlighted) -> None:
        self.query_one(ItemDetail).show(message.item)

    @on(Button.Pressed, "#logout")
    def _logout_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_logout()

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"restore"}:
            return self.showing_trash
        if action in {"add", "edit"}:
            return not self.showing_trash
        return True

    def action_add(self) -> None:
        from app.screens.item_form import ItemFormScreen

        self.app.push_screen(ItemFormScreen(policy=self._policy))

    def action_edit(self) -> None:
        item = self.highlighted
        if item is None or self.showing_trash:
            return
        if item.error:
            self.notify("This item is damaged and cannot be edited.", severity="warning")
            return
        from app.screens.item_form import ItemFormScreen

        self.app.push_screen(ItemFormScreen(item, policy=self._policy))

    def action_delete(self) -> None:
        item = self.highlighted
        if item is None:
            return
        title = visible_text(item.title)
        if self.showing_trash:
            question = f"Delete {title!r} for good? This cannot be undone."
            kind: ItemActionKind = "purge"
        else:
            question = f"Move {title!r} to the trash? You can restore it for 30 days."
            kind = "trash"

        def answer(confirmed: bool | None) -> None:
            if confirmed:
                self.post_message(self.ItemAction(kind, item))

        from app.screens.confirm import ConfirmScreen

        self.app.push_screen(ConfirmScreen(question, yes="Delete"), answer)

    def action_restore(self) -> None:
        item = self.highlighted
        if item is not None and self.showing_trash:
            self.post_message(self.ItemAction("restore", item))

    def action_history(self) -> None:
        item = self.highlighted
        if item is not None and not item.error:
            self.post_message(self.ItemAction("history", item))

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def take_typed_text(self, text: str) -> bool:
        """Text typed or pasted in a burst on the list or the details (not letter by letter):
        it is a search, as KeePassXC's type-to-search has it, not a row of commands ("dry" was
        d, r and y: trash the item, and yes). The App says when keys came as such a burst."""
        if isinstance(self.focused, Button):
            return False  # the Log out button: the App says where the cursor is
        query = next((line for line in text.splitlines() if line.strip()), "")
        items = self.query_one(ItemList)
        if self.focused is items and query and set(query) <= {"j", "k"}:
            # Movement keys sent together (a lagged link): they move, as they were meant to.
            items.cursor += query.count("j") - query.count("k")
            return True
        query = query.removeprefix("/")
        search = self.query_one("#search", Input)
        search.value = query
        # Focused now, and the cursor then put after the text: the box selects all it holds
        # when focused, and the next key typed would replace it.
        self.set_focus(search)
        search.call_later(search.action_end)
        return True

    def action_leave_search(self) -> None:
        """Esc: clear the search (from the box or the list) and be back in the whole list."""
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        elif self.tag is not None:
            self.show_tag(None)
        self.query_one(ItemList).focus()

    def action_focus_list(self) -> None:
        self.query_one(ItemList).focus()

    def action_copy(self, what: CopyKind) -> None:
        item = self.highlighted
        if item is None or item.error:
            return
        if what == "TOTP code":
            where = "in its edit form (Enter or e)."
            if not item.totp:
                message = f"{totp_problem(item.title)} Add one {where}"
                self.notify(message, severity="warning", markup=False)
                return
            import time

            try:
                value = totp_now(item.totp, time.time())[0]
            except TotpError as error:
                message = f"{totp_problem(item.title, error)} Replace it {where}"
                self.notify(message, severity="error", markup=False)
                return
        else:
            value = {
                "username": item.username,
                "password": item.password,
                "URL": item.urls[0] if item.urls else "",
            }[what]
        if not value:
            self.notify(f"This item has no {what}.", severity="warning")
            return
        self.post_message(self.Copy(value, what))

    def action_pick_field(self) -> None:
        """Pick one of the selected item's custom fields and copy it."""
        item = self.highlighted
        if item is None or item.error:
            return
        if not item.fields:
            self.notify("This item has no custom fields.", severity="warning")
            return
        from app.screens.tags import FieldPickerScreen

        def picked(name: str | None) -> None:
            if name is not None:
                self.action_copy_field(name)

        names = [(field.name, field.secret) for field in item.fields]
        self.app.push_screen(FieldPickerScreen(item.title, names), picked)

    def action_copy_field(self, name: str) -> None:
        """Copy a custom field of the selected item (offered in the command palette)."""
        item = self.highlighted
        custom = None if item is None or item.error else item.field_named(name)
        if custom is None:
            self.notify("The selected item has no such field.", severity="warning")
            return
        if not custom.value:
            self.notify(
                f"The field {visible_text(name)!r} is empty.", severity="warning", markup=False
            )
            return
        self.post_message(self.Copy(custom.value, f"field {visible_text(name)!r}"))

    def action_pick_tag(self) -> None:
        from app.screens.tags import ALL, TagPickerScreen, tag_counts

        def picked(tag: str | None) -> None:
            if tag is not None:
                self.show_tag(None if tag == ALL else tag)

        counts = tag_counts(self._items)
        self.app.push_screen(TagPickerScreen(counts, len(self._items), self.tag), picked)

    def action_reveal(self) -> None:
        self.query_one(ItemDetail).reveal()

    def action_toggle_trash(self) -> None:
        self.post_message(self.Reload(trash=not self.showing_trash))

    def action_refresh(self) -> None:
        self.post_message(self.Reload(trash=self.showing_trash))

    def action_generator(self) -> None:
        from app.screens.generator import GeneratorScreen

        def use(password: str | None) -> None:
            if password:
                self.post_message(self.Copy(password, "password"))

        self.app.push_screen(GeneratorScreen(use_label="Copy"), use)

    def action_lock(self) -> None:
        self.post_message(self.Lock())

    def action_logout(self) -> None:
        self.post_message(self.Logout())

    def action_help(self) -> None:
        from app.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

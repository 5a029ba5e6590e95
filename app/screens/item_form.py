"""Add or edit an item. Ctrl+S saves; Escape cancels, asking first if anything was typed."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Static, TextArea

from app.core.items import Item, ItemDraft
from app.core.passwords import PasswordPolicy
from app.core.rules import ITEM_PASSWORD_POLICY, LIMITS
from app.screens import messages
from app.screens.confirm import ConfirmScreen
from app.screens.form import FieldsScroll
from app.screens.generator import GeneratorScreen
from app.screens.keys import ITEM_FORM_KEYS, bindings
from app.widgets.custom_fields import CustomFieldsEditor
from app.widgets.literal import visible_text
from app.widgets.secret_input import SecretInput, toggle_reveal
from app.widgets.strength import StrengthMeter

UNDO_CLEARED = "Back after the lock: Ctrl+Z cannot undo what was typed before it."


class ItemFormScreen(ModalScreen[None]):
    BINDINGS = bindings(ITEM_FORM_KEYS)

    Save = messages.SaveItem

    def __init__(
        self,
        item: Item | None = None,
        *,
        policy: PasswordPolicy | None = None,
        draft: ItemDraft | None = None,
        version: int | None = None,
        after_lock: bool = False,
    ) -> None:
        """``draft`` and ``version``: an edit held through a lock, typed on top of ``item``
        as it was at ``version`` (a save checks that version, so a change made meanwhile on
        another device still goes to the conflict dialog). ``after_lock``: the form says that
        Ctrl+Z cannot go back past the lock (only the draft was sealed through it: the undo
        history, earlier text, was plaintext and went with the rest)."""
        super().__init__()
        self._after_lock = after_lock
        self.item = item
        self._policy = policy or ITEM_PASSWORD_POLICY
        self._initial = item.draft() if item else ItemDraft(title="")
        self._start = draft or self._initial
        self.version = version if version is not None else item.version if item else None

    def compose(self) -> ComposeResult:
        start = self._start
        # The fields scroll; the error line and the buttons stay below them, outside the
        # scrolling part: Tab reaches them after the last field, and a focused field is never
        # scrolled to where they would cover it.
        with Vertical(classes="dialog item-form"):
            with FieldsScroll(id="item-fields", can_focus=False):
                yield Static("Edit item" if self.item else "New item", classes="form-title")
                if self._after_lock:
                    yield Static(UNDO_CLEARED, id="undo-cleared", classes="form-notice")
                yield Label("Title", classes="field-label")
                yield Input(start.title, id="title", max_length=LIMITS["title"])
                yield Label("Username", classes="field-label")
                yield Input(start.username, id="username", max_length=LIMITS["username"])
                yield Label("Password (Ctrl+G generates one)", classes="field-label")
                with Horizontal(classes="password-row"):
                    yield SecretInput(start.password, id="password", max_length=LIMITS["password"])
                    yield Button("Generate", id="generate", classes="inline-button")
                yield StrengthMeter(self._policy, id="strength")
                yield Label("URLs, one per line", classes="field-label")
                yield TextArea(
                    "\n".join(start.urls), id="urls", tab_behavior="focus", classes="short-area"
                )
                yield Label("Notes", classes="field-label")
                yield TextArea(start.notes, id="notes", tab_behavior="focus", classes="notes-area")
                yield Label("Tags, separated by commas", classes="field-label")
                yield Input(", ".join(start.tags), id="tags")
                yield Label("TOTP secret (base32 or otpauth:// link)", classes="field-label")
                # Shown as typed: a pasted secret or link can be checked before it is saved.
                yield Input(start.totp, id="totp", max_length=LIMITS["totp"])
                yield Label("Custom fields (a secret one is masked)", classes="field-label")
                yield CustomFieldsEditor(start.fields, id="fields")
                yield Checkbox("Favourite", value=start.favourite, id="favourite")
            with Vertical(classes="form-actions"):
                yield Static("", id="error", classes="form-error", markup=False)
                with Horizontal(classes="form-buttons"):
                    yield Button("Save", id="save", variant="primary")
                    yield Button("Cancel", id="cancel")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#error", Static).display = False
        self.query_one("#title", Input).focus()
        # Focusing centres the field: the heading and the Title label go back into view.
        self.call_after_refresh(self.query_one("#item-fields").scroll_home, animate=False)
        if self._start.password:
            self.query_one(StrengthMeter).assess(self._start.password)

    def draft(self) -> ItemDraft:
        urls = self.query_one("#urls", TextArea).text.splitlines()
        tags = self.query_one("#tags", Input).value.split(",")
        return ItemDraft(
            title=self.query_one("#title", Input).value,
            username=self.query_one("#username", Input).value,
            password=self.query_one("#password", Input).value,
            urls=tuple(u.strip() for u in urls if u.strip()),
            notes=self.query_one("#notes", TextArea).text,
            tags=tuple(t.strip() for t in tags if t.strip()),
            totp=self.query_one("#totp", Input).value,
            favourite=self.query_one("#favourite", Checkbox).value,
            fields=self.query_one(CustomFieldsEditor).fields,
        )

    @property
    def dirty(self) -> bool:
        return self.draft() != self._initial

    @property
    def busy(self) -> bool:
        return self.query_one("#save", Button).loading

    def set_busy(self, busy: bool) -> None:
        self.query_one("#save", Button).loading = busy

    def clear_passwords(self, field: str | None = None) -> None:
        """Nothing to clear: an item's password is data being edited, never a credential."""

    def show_error(self, message: str, field: str | None = None) -> None:
        self.set_busy(False)
        error = self.query_one("#error", Static)
        error.update(message)
        error.display = True
        names = {"url": "urls", "tag": "tags"}
        target = names.get(field or "", field or "")
        if target.startswith("fields/"):
            row = self.query_one(CustomFieldsEditor).focus_row(int(target.partition("/")[2]))
            form = self.query_one("#item-fields")
            self.call_after_refresh(form.scroll_to_widget, row, animate=False)
        elif target and self.query(f"#{target}"):
            widget = self.query_one(f"#{target}")
            widget.focus(scroll_visible=False)
            # The field and its label in view, scrolled no further than needed (the title's
            # is the form's top, heading included); the message itself is docked below.
            form = self.query_one("#item-fields")
            if target == "title":
                self.call_after_refresh(form.scroll_home, animate=False)
            else:
                self.call_after_refresh(form.scroll_to_widget, widget, animate=False)

    @on(Input.Changed, "#password")
    def _password_changed(self, event: Input.Changed) -> None:
        self.query_one(StrengthMeter).assess(event.value)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        # Ctrl+S is a priority binding: it runs before the focused field has handled the keys
        # typed just before it (a paste, a fast typist, auto-type). Saving from that field's
        # own queue, after them, saves what was typed rather than most of it.
        if self.focused is not None and self.focused is not self:
            self.focused.call_later(self._save)
        else:
            self._save()

    def _save(self) -> None:
        if self.busy:
            return
        self.query_one("#error", Static).display = False
        self.set_busy(True)
        self.post_message(
            self.Save(
                self,
                self.draft(),
                self.item.id if self.item else None,
                self.version,
            )
        )

    def rebase(self, current: Item) -> None:
        """Keep what was typed, but save it over the version now in the database."""
        self.item = current
        self.version = current.version

    @on(Button.Pressed, "#generate")
    def action_generate(self) -> None:
        def use(password: str | None) -> None:
            if password:
                self.query_one("#password", Input).value = password

        self.app.push_screen(GeneratorScreen(), use)

    def action_toggle_reveal(self) -> None:
        toggle_reveal(self)

    @on(CustomFieldsEditor.Removed)
    def _field_removed(self, message: CustomFieldsEditor.Removed) -> None:
        name = visible_text(message.field.name.strip()) or "(no name)"
        self.notify(f"Field {name} removed — Ctrl+Z to undo", timeout=8, markup=False)
        self.refresh_bindings()  # the footer offers Ctrl+Z

    async def action_restore_field(self) -> None:
        editor = self.query_one(CustomFieldsEditor)
        field = await editor.restore()
        if field is not None:
            name = visible_text(field.name.strip()) or "(no name)"
            self.notify(f"Field {name} is back", timeout=8, markup=False)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "restore_field":
            editors = self.query(CustomFieldsEditor)
            return bool(editors) and editors.first().can_restore
        return True

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answer(discard: bool | None) -> None:
            if discard and self.is_current:  # not if a save closed the form meanwhile
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard what you typed?", yes="Discard", no="Keep editing"), answer
        )

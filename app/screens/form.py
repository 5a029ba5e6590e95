"""What the forms share: an error line, a busy state, and Enter-to-submit.

FormScreen is the full-screen kind (login, register, unlock); DialogForm the modal kind over
the vault (the account dialogs, import and export).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static
from textual.widgets.button import ButtonVariant

from app.screens.keys import FORM_KEYS, bindings
from app.widgets.secret_input import toggle_reveal


class FieldsScroll(VerticalScroll):
    """A form's scrolling part: made smaller (the terminal resized), it scrolls the focused
    field back into view, as Tab does. Buttons docked below it, outside it, never cover it."""

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._keep_focus_in_view)

    def _keep_focus_in_view(self) -> None:
        focused = self.screen.focused if self.is_attached else None
        if focused is not None and self in focused.ancestors:
            focused.scroll_visible(animate=False)  # once laid out at the new size


@runtime_checkable
class ShowsErrors(Protocol):
    """A screen that can show a failure on its own error line, next to the field to fix."""

    def show_error(self, message: str, field: str | None = None) -> None: ...

    def clear_passwords(self, field: str | None = None) -> None: ...


class FormScreen(Screen[None]):
    """A form that submits on Enter in any field and waits, visibly, while it is checked."""

    BINDINGS = bindings(FORM_KEYS)

    SUBMIT_BUTTON = "#submit"

    def submit(self) -> None:
        raise NotImplementedError

    @on(Input.Submitted)
    def _submit_from_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#submit")
    def _submit_from_button(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @property
    def busy(self) -> bool:
        return self.query_one(self.SUBMIT_BUTTON, Button).loading

    def set_busy(self, busy: bool) -> None:
        """Lock the form while a worker checks it; the button shows a loading indicator."""
        self.query_one(self.SUBMIT_BUTTON, Button).loading = busy
        for field in self.query(Input):
            field.disabled = busy

    def show_error(self, message: str, field: str | None = None) -> None:
        """Show a message the user can act on and put the cursor where the fix goes."""
        self.set_busy(False)
        error = self.query_one("#error", Static)
        error.update(message)
        error.display = True
        if field is not None and self.query(f"#{field}"):
            self.query_one(f"#{field}", Input).focus()
        else:  # the busy form gave up its focus: back to the first field to type again
            empty = [
                box for box in self.query(Input).results(Input) if box.display and not box.value
            ]
            if empty:
                empty[0].focus()

    def clear_error(self) -> None:
        error = self.query_one("#error", Static)
        error.update("")
        error.display = False

    def refuse(self, message: str) -> None:
        """A refused password: say so, clear it, and put the cursor back in it."""
        self.clear_passwords()
        self.show_error(message, "password")

    def clear_passwords(self, field: str | None = None) -> None:
        """Empty the password fields (all of them: a mismatch is fixed by typing both)."""
        for secret in self.query(".secret").results(Input):
            secret.clear()

    def action_toggle_reveal(self) -> None:
        toggle_reveal(self)


class DialogForm(ModalScreen[None]):
    """A modal form whose outcome the App reports back with show_error() or dismiss()."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("ctrl+r", "toggle_reveal", "Show/hide password"),
        # A priority binding, so that focus has moved before the next key arrives: typed or
        # pasted fast, "password, Enter, new password" lands in two fields, not one.
        Binding("enter", "next_field", show=False, priority=True),
    ]

    def action_next_field(self) -> None:
        """Enter in a field moves to the next one; in the last field shown, Enter submits."""
        fields = [field for field in self.query(Input) if field.display]
        if not isinstance(self.focused, Input) or self.focused is fields[-1]:
            raise SkipAction()
        self.focus_next(Input)

    def action_toggle_reveal(self) -> None:
        toggle_reveal(self)

    @staticmethod
    def compose_actions(
        submit: str, *more: Button, variant: ButtonVariant = "primary", close: str = "Cancel"
    ) -> ComposeResult:
        """The error line (hidden until there is one) and the buttons, docked below the
        fields: ``more`` first, then the submit button, then the one that closes."""
        with Vertical(classes="form-actions"):
            error = Static("", id="error", classes="form-error", markup=False)
            error.display = False
            yield error
            with Horizontal(classes="form-buttons"):
                yield from more
                yield Button(submit, id="submit", variant=variant)
                yield Button(close, id="close")

    def set_busy(self, busy: bool) -> None:
        if self.query("#submit"):
            self.query_one("#submit", Button).loading = busy

    # Which fields go with a failure's field: what to clear, and (first) where the cursor goes.
    FIELDS: dict[str, tuple[str, ...]] = {}

    def show_error(self, message: str, field: str | None = None) -> None:
        """Say what is wrong and put the cursor where the fix goes; what was typed stays."""
        self.set_busy(False)
        error = self.query_one("#error", Static)
        error.update(message)
        error.display = True
        ids = self.FIELDS.get(field or "", (field,) if field else ())
        targets = [widget for name in ids for widget in self.query(f"#{name}").results(Input)]
        if targets:
            targets[0].focus()
        elif self.query(Input):
            self.query(Input).first().focus()

    def clear_passwords(self, field: str | None = None) -> None:
        """Empty the fields that go with ``field`` (all of them for None)."""
        ids = self.FIELDS.get(field or "", (field,) if field else ())
        for secret in self.query(Input):
            if field is None or secret.id in ids:
                secret.clear()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#submit")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#close")
    def _close(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def submit(self) -> None:
        raise NotImplementedError

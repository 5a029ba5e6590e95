"""What the account forms share: an error line, a busy state, and Enter-to-submit."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual import on
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from app.screens.keys import FORM_KEYS, bindings
from app.widgets.secret_input import toggle_reveal


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

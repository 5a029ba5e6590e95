"""The locked vault: only the master password is asked for; the session stays."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from app.screens import messages
from app.screens.busy import SaysBusy
from app.screens.form import FormScreen
from app.screens.keys import UNLOCK_KEYS, bindings
from app.screens.login import ASKS_FOR_KEY
from app.widgets.secret_input import SecretInput


class UnlockScreen(SaysBusy):
    BINDINGS = [*FormScreen.BINDINGS, *bindings(UNLOCK_KEYS)]

    BUSY_LABEL = "Unlocking…"
    Submitted = messages.UnlockSubmitted
    Logout = messages.Logout

    def __init__(self, username: str, *, notice: str | None = None) -> None:
        super().__init__()
        self.username = username
        self._notice = notice

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form-card", can_focus=False):
            yield Static("Strongroom", classes="brand")
            yield Static(f"Vault locked for {self.username}", classes="form-title", markup=False)
            yield Static(self._notice or "", id="notice", classes="form-notice", markup=False)
            yield Label("Please enter your password:", classes="field-label")
            yield SecretInput(id="password", classes="secret")
            # Shown when the account was given a Secret Key this device does not hold yet.
            yield Label(ASKS_FOR_KEY, id="secret-key-label", classes="field-label")
            yield SecretInput(id="secret_key", max_length=64)  # kept when a password is refused
            with Vertical(classes="form-actions"):
                yield Static("", id="error", classes="form-error", markup=False)
                with Horizontal(classes="form-buttons"):
                    yield Button("Unlock", id="submit", variant="primary")
                    yield Button("Log out", id="logout")
        yield Footer()

    def on_mount(self) -> None:
        self.clear_error()
        self.query_one("#secret-key-label").display = False
        self.query_one("#secret_key").display = False
        self.query_one("#notice", Static).display = bool(self._notice)
        self.query_one("#password", Input).focus()

    def submit(self) -> None:
        password = self.query_one("#password", Input)
        if self.busy:
            return
        if not password.value:
            self.show_error("Please enter your password.", "password")
            return
        self.clear_error()
        self.set_busy(True)
        self.post_message(
            self.Submitted(password.value, self.query_one("#secret_key", Input).value)
        )

    def show_error(self, message: str, field: str | None = None) -> None:
        if field == "secret_key":  # the account has one now: its field, from now on
            self.query_one("#secret-key-label").display = True
            self.query_one("#secret_key").display = True
        super().show_error(message, field)

    @on(Button.Pressed, "#logout")
    def action_logout(self) -> None:
        self.post_message(self.Logout())

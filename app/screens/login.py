"""Log in: username, master password, and whether this device should remember the login."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Footer, Input, Label, Static

from app.screens import messages
from app.screens.busy import SaysBusy
from app.screens.form import FieldsScroll, FormScreen
from app.screens.keys import LOGIN_KEYS, bindings
from app.widgets.secret_input import SecretInput

ASKS_FOR_KEY = "Secret Key (from your Emergency Kit):"


class LoginScreen(SaysBusy):
    BINDINGS = [*FormScreen.BINDINGS, *bindings(LOGIN_KEYS)]

    BUSY_LABEL = "Logging in…"
    Submitted = messages.LoginSubmitted
    CreateAccount = messages.CreateAccount

    def __init__(self, *, username: str = "", notice: str | None = None) -> None:
        super().__init__()
        self._initial_username = username
        self._notice = notice

    def compose(self) -> ComposeResult:
        with FieldsScroll(classes="form-card", can_focus=False):
            yield Static("Strongroom", classes="brand")
            yield Static("Log in to your vault", classes="form-title")
            yield Static(self._notice or "", id="notice", classes="form-notice", markup=False)
            yield Label("Please enter your username:", classes="field-label")
            yield Input(self._initial_username, id="username", max_length=64)
            yield Label("Please enter your password:", classes="field-label")
            yield SecretInput(id="password", classes="secret")
            # Shown when the account has a Secret Key this device does not hold yet.
            yield Label(ASKS_FOR_KEY, id="secret-key-label", classes="field-label")
            yield SecretInput(id="secret_key", max_length=64)  # kept when a password is refused
            yield Checkbox("Remember me on this device", value=True, id="remember")
            with Vertical(classes="form-actions"):
                yield Static("", id="error", classes="form-error", markup=False)
                with Horizontal(classes="form-buttons"):
                    yield Button("Log in", id="submit", variant="primary")
                    yield Button("Create account", id="create")
        yield Footer()

    def on_mount(self) -> None:
        self.clear_error()
        self.query_one("#secret-key-label").display = False
        self.query_one("#secret_key").display = False
        self.query_one("#notice", Static).display = bool(self._notice)
        first_empty = "#password" if self._initial_username else "#username"
        # Now, not after a refresh (as focus() does): Textual's own first focus, the username,
        # would have the keys typed in between.
        self.set_focus(self.query_one(first_empty, Input))

    def show_error(self, message: str, field: str | None = None) -> None:
        if field == "secret_key":  # this account has one: its field, from now on
            self.query_one("#secret-key-label").display = True
            self.query_one("#secret_key").display = True
        super().show_error(message, field)

    def show_notice(self, text: str) -> None:
        notice = self.query_one("#notice", Static)
        notice.update(text)
        notice.display = True

    def submit(self) -> None:
        if self.busy:
            return
        username = self.query_one("#username", Input)
        password = self.query_one("#password", Input)
        if not username.value.strip():
            self.show_error("Please enter your username.", "username")
            return
        if not password.value:
            self.show_error("Please enter your password.", "password")
            return
        self.clear_error()
        self.set_busy(True)
        self.post_message(
            self.Submitted(
                username.value,
                password.value,
                self.query_one("#remember", Checkbox).value,
                self.query_one("#secret_key", Input).value,
            )
        )

    def action_create_account(self) -> None:
        self.post_message(self.CreateAccount())

    @on(Button.Pressed, "#create")
    def _create_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_create_account()

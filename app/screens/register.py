"""Registration: choose a username and a master password (typed twice)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Footer, Input, Label, Static

from app.core.passwords import PasswordPolicy
from app.screens import messages
from app.screens.form import FieldsScroll, FormScreen
from app.screens.keys import REGISTER_KEYS, bindings
from app.widgets.secret_input import SecretInput
from app.widgets.strength import StrengthMeter


class RegisterScreen(FormScreen):
    BINDINGS = [*FormScreen.BINDINGS, *bindings(REGISTER_KEYS)]

    Submitted = messages.RegisterSubmitted
    BackToLogin = messages.BackToLogin

    def __init__(
        self,
        policy: PasswordPolicy,
        *,
        can_go_back: bool,
        username: str = "",
        secret_key: bool = False,
    ) -> None:
        super().__init__()
        self._policy = policy
        self._secret_key = secret_key  # the option's first value: on for a shared database
        self._can_go_back = can_go_back
        self._initial_username = username

    def compose(self) -> ComposeResult:
        with FieldsScroll(classes="form-card", can_focus=False):
            yield Static("Strongroom", classes="brand")
            yield Static("Create your account", classes="form-title")
            yield Label("Please enter a username:", classes="field-label")
            yield Input(
                self._initial_username,
                placeholder="3-32 letters, digits, . _ -",
                id="username",
                max_length=64,
            )
            yield Label("Please enter a password:", classes="field-label")
            yield SecretInput(
                placeholder=f"at least {self._policy.min_length} characters",
                id="password",
                classes="secret",
            )
            yield StrengthMeter(self._policy, id="strength")
            yield Label("Please confirm the password:", classes="field-label")
            yield SecretInput(id="confirm", classes="secret")
            yield Checkbox("Protect with a Secret Key", value=self._secret_key, id="secret-key")
            yield Static(
                "New devices need its kit too: lose both, lose the vault.",
                classes="form-hint",
            )
            with Vertical(classes="form-actions"):
                yield Static("", id="error", classes="form-error", markup=False)
                with Horizontal(classes="form-buttons"):
                    yield Button("Create account", id="submit", variant="primary")
                    if self._can_go_back:
                        yield Button("Back to log in", id="back")
        yield Footer()

    def on_mount(self) -> None:
        self.clear_error()
        first_empty = "#password" if self._initial_username else "#username"
        self.query_one(first_empty, Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self._can_go_back
        return True

    def submit(self) -> None:
        if self.busy:
            return
        self.clear_error()
        self.set_busy(True)
        self.post_message(
            self.Submitted(
                self.query_one("#username", Input).value,
                self.query_one("#password", Input).value,
                self.query_one("#confirm", Input).value,
                self.query_one("#secret-key", Checkbox).value,
            )
        )

    def action_back(self) -> None:
        if self._can_go_back:
            self.post_message(self.BackToLogin())

    @on(Button.Pressed, "#back")
    def _back_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_back()

    @on(Input.Changed, "#password")
    @on(Input.Changed, "#username")
    def _password_changed(self) -> None:
        self.query_one(StrengthMeter).assess(
            self.query_one("#password", Input).value, self.query_one("#username", Input).value
        )

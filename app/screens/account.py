"""Account dialogs: remembered sessions, changing the master password, deleting the account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Static
from textual.widgets.button import ButtonVariant

from app.core.passwords import PasswordPolicy
from app.core.times import local
from app.screens import messages
from app.screens.confirm import ConfirmScreen
from app.widgets.literal import literal, visible_text
from app.widgets.secret_input import SecretInput, toggle_reveal
from app.widgets.strength import StrengthMeter

if TYPE_CHECKING:
    from app.core.accounts import SessionInfo


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


class ChangePasswordScreen(DialogForm):
    Submitted = messages.ChangePasswordSubmitted
    FIELDS = {
        "current": ("current",),
        "password": ("new", "confirm"),
        "confirm": ("new", "confirm"),
    }

    def __init__(self, username: str, policy: PasswordPolicy) -> None:
        super().__init__()
        self._username = username
        self._policy = policy

    def compose(self) -> ComposeResult:
        with VerticalScroll(can_focus=False, classes="dialog"):
            yield Static("Change master password", classes="form-title")
            yield Static(
                "Your vault key is re-wrapped under the new password; every other device's "
                "saved login ends.",
                classes="form-text",
            )
            yield Label("Current password:", classes="field-label")
            yield SecretInput(id="current")
            yield Label("New password:", classes="field-label")
            yield SecretInput(id="new")
            yield StrengthMeter(self._policy, id="strength")
            yield Label("Confirm the new password:", classes="field-label")
            yield SecretInput(id="confirm")
            yield from self.compose_actions("Change password")

    def on_mount(self) -> None:
        self.query_one("#current", Input).focus()

    @on(Input.Changed, "#new")
    def _new_changed(self, event: Input.Changed) -> None:
        self.query_one(StrengthMeter).assess(event.value, self._username)

    def submit(self) -> None:
        self.set_busy(True)
        self.post_message(
            self.Submitted(
                self,
                self.query_one("#current", Input).value,
                self.query_one("#new", Input).value,
                self.query_one("#confirm", Input).value,
            )
        )


class PasswordDialog(DialogForm):
    """An action that the master password confirms: a title, what it does, the password."""

    HEADING = ""
    EXPLANATION = ""
    BUTTON = ""
    DANGER = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(can_focus=False, classes="dialog danger" if self.DANGER else "dialog"):
            yield Static(self.HEADING, classes="form-title")
            yield Static(self.EXPLANATION, classes="form-text")
            yield Label("Please enter your password:", classes="field-label")
            yield SecretInput(id="password")
            yield from self.compose_progress()
            variant: ButtonVariant = "error" if self.DANGER else "primary"
            # The safer way out, if there is one, comes first.
            yield from self.compose_actions(self.BUTTON, *self.more_buttons(), variant=variant)

    def compose_progress(self) -> ComposeResult:
        yield from ()

    def more_buttons(self) -> list[Button]:
        return []

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

    def submit(self) -> None:
        self.set_busy(True)
        self.post_message(self.submitted(self.query_one("#password", Input).value))

    def submitted(self, password: str) -> Message:
        raise NotImplementedError


class DeleteAccountScreen(PasswordDialog):
    HEADING = "Delete account"
    EXPLANATION = (
        "This removes your account, every saved login and every item in your vault, for good. "
        "Keep a copy first: Export writes them all to a file encrypted under a password you "
        "choose, which Bitwarden, KeePassXC and Strongroom import. "
        "Enter your master password to confirm."
    )
    BUTTON = "Delete everything"
    DANGER = True

    Submitted = messages.DeleteAccountSubmitted

    def more_buttons(self) -> list[Button]:
        return [Button("Export first", id="export-first", variant="primary")]

    @on(Button.Pressed, "#export-first")
    def _export_first(self, event: Button.Pressed) -> None:
        event.stop()
        from app.screens.transfer import ExportScreen

        self.app.push_screen(
            ExportScreen(
                heading="Export before deleting",
                note="A copy of every item, the trash and password history, to keep after the "
                "account is gone. Encrypted unless you choose otherwise.",
            )
        )

    def submitted(self, password: str) -> Message:
        return self.Submitted(self, password)


class RotateKeyScreen(PasswordDialog):
    """Re-seal the vault under a new key, with the master password; shows its progress."""

    HEADING = "Rotate the vault key"
    EXPLANATION = (
        "Every item is re-sealed under a new key. Whoever copied an old saved login or the "
        "database before now can open nothing with it, and every other device must log in "
        "again. Enter your master password to go ahead."
    )
    BUTTON = "Rotate the key"

    Submitted = messages.RotateKeySubmitted

    def compose_progress(self) -> ComposeResult:
        yield ProgressBar(id="progress", show_eta=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(ProgressBar).display = False

    def show_progress(self, done: int, total: int) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=max(total, 1), progress=done)

    def show_error(self, message: str, field: str | None = None) -> None:
        self.query_one(ProgressBar).display = False
        super().show_error(message, field)

    def submitted(self, password: str) -> Message:
        return self.Submitted(self, password)


class SessionsScreen(DialogForm):
    """This account's remembered sessions; Delete (or the button) revokes the selected one."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("delete", "revoke", "Revoke"),
    ]

    Revoke = messages.RevokeSession

    def __init__(self, sessions: list[SessionInfo]) -> None:
        super().__init__()
        self.sessions = sessions

    def compose(self) -> ComposeResult:
        with VerticalScroll(can_focus=False, classes="dialog sessions"):
            yield Static("Remembered sessions", classes="form-title")
            yield DataTable(id="table", cursor_type="row")
            yield Static("", id="empty", classes="form-text", markup=False)
            yield from self.compose_actions("Revoke selected", variant="error", close="Close")

    def on_mount(self) -> None:
        self.show_sessions(self.sessions)
        self.query_one(DataTable).focus()

    def show_error(self, message: str, field: str | None = None) -> None:
        super().show_error(message, field)
        self.query_one(DataTable).focus()

    def show_sessions(self, sessions: list[SessionInfo]) -> None:
        self.set_busy(False)
        self.sessions = sessions
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns("Device", "Created", "Last used", "Expires", "")
        for info in sessions:
            table.add_row(
                literal(visible_text(info.device_label)),  # anyone with the database sets it
                literal(local(info.created_at)),
                literal(local(info.last_used_at)),
                literal(local(info.expires_at)),
                literal("this device" if info.current else ""),
                key=str(info.id),
            )
        empty = self.query_one("#empty", Static)
        empty.update("No remembered sessions: no device keeps you logged in.")
        empty.display = not sessions
        self.query_one("#submit", Button).disabled = not sessions

    def action_revoke(self) -> None:
        self.submit()

    def submit(self) -> None:
        table = self.query_one(DataTable)
        if not self.sessions:
            return
        info = self.sessions[table.cursor_row]
        if info.current:
            question = (
                "Revoke this device's own session? You stay logged in until you quit; the next "
                "launch asks who you are."
            )
        else:
            question = (
                f"Revoke the session of {visible_text(info.device_label)!r}? That device will "
                "have to log in again."
            )

        def answer(confirmed: bool | None) -> None:
            if confirmed:
                self.set_busy(True)
                self.post_message(self.Revoke(self, info.id))

        self.app.push_screen(ConfirmScreen(question, yes="Revoke"), answer)

"""Account dialogs: remembered sessions, changing the master password, deleting the account."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Static
from textual.widgets.button import ButtonVariant

from app.core.passwords import PasswordPolicy
from app.screens import messages
from app.screens.confirm import ConfirmScreen
from app.screens.form import DialogForm
from app.widgets.literal import literal, visible_text
from app.widgets.secret_input import SecretInput
from app.widgets.strength import StrengthMeter

if TYPE_CHECKING:
    from app.core.accounts import SessionInfo

LABEL_WIDTH = 24  # a device's label in the sessions table; longer ones end in "…"


def shortened(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def minutes(moment: datetime) -> str:
    """``2026-11-30 13:05``, in this machine's zone (the table's headings name it)."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


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
        # What tells the devices apart, and which one this is, fits an 80-column terminal:
        # the label (host and system), this device's mark, when each was last used and
        # logged in; the times in minutes, their zone said once in the headings.
        zone = datetime.now().astimezone().strftime("%Z")
        table.add_columns("Device", "", f"Last used ({zone})", f"Logged in ({zone})")
        for info in sessions:
            label = shortened(visible_text(info.device_label), LABEL_WIDTH)  # anyone with the
            table.add_row(  # database sets it
                literal(label),
                literal("this device" if info.current else ""),
                literal(minutes(info.last_used_at)),
                literal(minutes(info.created_at)),
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

"""The Secret Key's dialogs: the new key shown once (its Emergency Kit), and adding one to an
account that has none (the master password asked for again)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from app.screens import messages
from app.screens.account import PasswordDialog

if TYPE_CHECKING:
    from app.core.accounts import EmergencyKit

TRADE_OFF = (
    "A new device asks for it as well as your master password, and a copy of the database "
    "alone cannot be guessed against. Print the kit or write the key down: if you lose the "
    "key and its kit (and no device holds it), your vault is lost. Strongroom cannot recover it."
)

ADDED = (
    "Secret Key added. The vault key was replaced with it (every item re-sealed), so a copy of "
    "the database made before cannot open what is written now: other devices must log in "
    "again, with the key."
)


class KitScreen(ModalScreen[None]):
    """The new Secret Key, shown once. Only Enter on the button (or a click) closes it: not
    Escape, not Space, so that a key pressed from habit does not lose it unread."""

    BINDINGS = [Binding("escape", "stay", show=False, priority=True)]
    DEFAULT_CSS = """
    KitScreen #secret-key { text-style: bold; color: $accent; margin: 1 0; }
    KitScreen #trade-off { margin: 1 0 0 0; }
    """

    def __init__(self, kit: EmergencyKit) -> None:
        super().__init__()
        self._kit = kit

    def compose(self) -> ComposeResult:
        kit = self._kit
        if kit.path is not None:
            where = f"Emergency Kit (owner-only, to print): {kit.path}"
        else:
            where = "No kit file could be written: copy the key from this screen now."
        with Vertical(classes="dialog kit"):
            yield Static("Your Secret Key, shown once", classes="form-title")
            yield Static(kit.secret_key, id="secret-key", markup=False)
            yield Static(f"Account: {kit.username}", markup=False)
            yield Static(f"Database: {kit.database}", markup=False)
            yield Static(where, id="kit-path", markup=False)
            yield Static(TRADE_OFF, id="trade-off")
            with Horizontal(classes="form-buttons"):
                # "error": Space (which presses other buttons) does not press this one.
                yield Button("I have saved it", id="saved", variant="error")

    def on_mount(self) -> None:
        self.query_one("#saved", Button).focus()

    def action_stay(self) -> None:
        self.notify("Save the key first, then press Enter on “I have saved it”.", markup=False)

    @on(Button.Pressed, "#saved")
    def _saved(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)


class AddSecretKeyScreen(PasswordDialog):
    HEADING = "Add a Secret Key"
    EXPLANATION = (
        "128 random bits, kept on this device and on a kit you print, mixed into your keys: "
        f"{TRADE_OFF} The vault key is replaced too (every item re-sealed, as a rotation "
        "does), so copies of the database made before cannot open what is written after; "
        "other devices must log in again, with the key. Enter your master password to go ahead."
    )
    BUTTON = "Add the key"

    Submitted = messages.AddSecretKeySubmitted

    def submitted(self, password: str) -> Message:
        return self.Submitted(self, password)

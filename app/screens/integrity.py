"""The database was changed outside Strongroom, or is older than this device saw: a dialog that
says so, what it means, and what to do. Dismissed with Enter or Esc; the vault stays open, the
items that do not match shown as damaged."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

TAMPERED_TITLE = "The database was changed outside Strongroom"
ROLLED_BACK_TITLE = "The database is older than this device saw"
TAMPERED_ADVICE = (
    "Someone who can write the database (or a tool that restored or repaired it) changed, "
    "removed or put back rows behind Strongroom's back. What does not match is shown as "
    "damaged: named by its title, nothing else of it shown or used. Check who can reach the "
    "database, and restore a copy you trust. If you restored a backup yourself, run "
    "strongroom db accept-restore."
)
ROLLED_BACK_ADVICE = (
    "It was restored from a backup or rolled back: changes saved since may be missing. If you "
    "restored it on purpose, run strongroom db accept-restore (it asks for the master "
    "password). If not, save nothing now, and restore the newest copy of the database."
)


class IntegrityScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, message: str, *, rolled_back: bool) -> None:
        super().__init__()
        self._message = message
        self._rolled_back = rolled_back

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            title = ROLLED_BACK_TITLE if self._rolled_back else TAMPERED_TITLE
            yield Static(title, id="integrity-title", classes="form-title", markup=False)
            yield Static(self._message, id="integrity-message", markup=False)
            advice = ROLLED_BACK_ADVICE if self._rolled_back else TAMPERED_ADVICE
            yield Static(advice, id="integrity-advice", classes="form-text", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

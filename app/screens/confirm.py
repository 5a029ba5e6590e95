"""A question in a dialog whose yes cannot be typed by accident; dismisses with True or False.

The safe answer has the cursor, so Enter (or Space) on it, or Esc, keeps things as they are. The
other answer takes a deliberate key: Ctrl+D, or Tab to its button and Enter. No letter answers:
"dry" typed on the item list was d (trash this item?) and y (yes), and text typed into the wrong
window should never say yes to anything.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from app.screens.keys import CONFIRM_KEYS, bindings

YES_KEY = "Ctrl+D"


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = bindings(CONFIRM_KEYS)

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self._question = question
        self._yes = yes
        self._no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._question, id="question", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button(self._yes, id="yes", variant="error")
                yield Button(self._no, id="no")
            yield Static(
                f"{YES_KEY}: {self._yes}   Esc: {self._no}   Enter: the highlighted button",
                id="confirm-keys",
                classes="form-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

"""The database cannot be opened: say which one, why, and how to fix it; offer Retry."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from app.screens import messages
from app.screens.keys import DATABASE_ERROR_KEYS, bindings


class DatabaseErrorScreen(Screen[None]):
    BINDINGS = bindings(DATABASE_ERROR_KEYS)

    Retry = messages.RetryDatabase

    def __init__(self, target: str, reason: str, hint: str) -> None:
        super().__init__()
        self._target = target
        self._reason = reason
        self._hint = hint

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form-card error-card", can_focus=False):
            yield Static("Strongroom", classes="brand")
            yield Static("The database could not be opened", classes="form-title")
            yield Static(f"Database: {self._target}", id="target", markup=False)
            yield Static(f"Reason: {self._reason}", id="reason", markup=False)
            yield Static(
                f"How to fix it: {self._hint}", id="hint", classes="form-text", markup=False
            )
            with Vertical(classes="form-actions"), Horizontal(classes="form-buttons"):
                yield Button("Retry", id="retry", variant="primary")
                yield Button("Quit", id="quit")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#retry", Button).focus()

    def action_retry(self) -> None:
        self.query_one("#retry", Button).loading = True
        self.post_message(self.Retry())

    @on(Button.Pressed, "#retry")
    def _retry_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_retry()

    @on(Button.Pressed, "#quit")
    def _quit_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.app.exit()

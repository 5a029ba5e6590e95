"""The logged-in home: the welcome message and the way out."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Static


class WelcomeScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+o", "logout", "Log out"),
    ]

    class Logout(Message):
        pass

    def __init__(self, username: str, *, notice: str | None = None) -> None:
        super().__init__()
        self.username = username
        self._notice = notice

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form-card", can_focus=False):
            yield Static("Strongroom", classes="brand")
            yield Static(
                f"Welcome, {self.username}!", id="welcome", classes="form-title", markup=False
            )
            yield Static(
                "Your vault is unlocked on this device. Log out to end this session here "
                "and forget this device's saved login.",
                classes="form-text",
            )
            yield Static(self._notice or "", id="notice", classes="form-notice", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Log out", id="logout", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#notice", Static).display = bool(self._notice)
        self.query_one("#logout", Button).focus()

    def set_busy(self, busy: bool) -> None:
        self.query_one("#logout", Button).loading = busy

    def action_logout(self) -> None:
        if not self.query_one("#logout", Button).loading:
            self.set_busy(True)
            self.post_message(self.Logout())

    @on(Button.Pressed, "#logout")
    def _logout_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_logout()

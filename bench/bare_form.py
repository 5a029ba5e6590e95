"""The floor for start-up: a bare Textual app drawing the same login form, with no database."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Input, Label


class BareForm(App[None]):
    CSS = "Screen { align: center middle; } VerticalScroll { width: 64; height: auto; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label("Please enter your username:")
            yield Input()
            yield Label("Please enter your password:")
            yield Input(password=True)
            yield Checkbox("Remember me on this device", value=True)
            yield Button("Log in")
        yield Footer()


if __name__ == "__main__":
    BareForm().run()

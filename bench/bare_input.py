"""The floor for idling: a bare Textual app with one Input, focused, its cursor blinking.

The bare form (bench/bare_form.py) focuses its scrolling container first, so nothing blinks
there; an app left at a prompt has a focused Input, and this is the least such an app does.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, Label


class BareInput(App[None]):
    CSS = "Screen { align: center middle; } Input { width: 60; }"

    def compose(self) -> ComposeResult:
        yield Label("Please enter your username:")
        yield Input()

    def on_mount(self) -> None:
        self.query_one(Input).focus()


if __name__ == "__main__":
    BareInput().run()
